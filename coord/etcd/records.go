package etcd

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"go.etcd.io/etcd/api/v3/v3rpc/rpctypes"

	"github.com/idcoord/idcoord/coord"
)

// Key names, relative to the cluster prefix.
const (
	workersDir   = "workers/"
	highWaterDir = "hw/"
	foreverDir   = "leaf_forever/"
	temporaryDir = "leaf_temporary/"
)

func workerKey(wid int64) string    { return workersDir + strconv.FormatInt(wid, 10) }
func highWaterKey(wid int64) string { return highWaterDir + strconv.FormatInt(wid, 10) }
func foreverKey(node string) string { return foreverDir + node }
func peerKey(node string) string    { return temporaryDir + node }

// Prefix is the key prefix of a cluster.
func Prefix(cluster string) string { return "/idcoord/" + cluster + "/" }

// Holder is the record under workers/<wid>.
type Holder struct {
	Node  string    `json:"node"`
	Admin string    `json:"admin"`
	Since time.Time `json:"since"`
}

// HighWater is the record under hw/<wid>. W is kept in unix milliseconds
// rather than in layout ticks, so that a change of layout between runs
// cannot misread it.
type HighWater struct {
	UnixMS int64  `json:"w_unix_ms"`
	Holder string `json:"holder"`
}

// Time returns W.
func (h HighWater) Time() time.Time { return time.UnixMilli(h.UnixMS) }

// check refuses a W no holder can have written (coord.CheckHighWater): read
// as a floor, it would let the next holder repeat IDs. The backend does not
// know the layout, so only the bounds of every layout apply here; the node
// checks W against its own layout's epoch and lifetime.
func (h HighWater) check(key string) error {
	return coord.CheckHighWater(key, h.UnixMS, coord.HighWaterBounds{})
}

// decode reads a JSON record. A record that can check itself (HighWater) is
// refused when the check fails, wherever it is read.
func decode[T any](key string, data []byte) (T, error) {
	var v T
	if err := json.Unmarshal(data, &v); err != nil {
		return v, fmt.Errorf("%w: %s: %v", coord.ErrBadRecord, key, err)
	}
	if c, ok := any(v).(interface{ check(key string) error }); ok {
		if err := c.check(key); err != nil {
			return v, err
		}
	}
	return v, nil
}

func encode(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(fmt.Sprintf("etcd: encoding %T: %v", v, err)) // only plain structs are encoded
	}
	return string(b)
}

// storeFault is the coord sentinel an etcd error stands for: ErrDenied for
// credentials or permissions, which retrying cannot cure, else
// ErrUnreachable.
func storeFault(err error) error {
	for _, denied := range []error{rpctypes.ErrAuthFailed, rpctypes.ErrPermissionDenied, rpctypes.ErrUserEmpty,
		rpctypes.ErrInvalidAuthToken, rpctypes.ErrAuthNotEnabled, rpctypes.ErrUserNotFound} {
		if errors.Is(err, denied) {
			return coord.ErrDenied
		}
	}
	return coord.ErrUnreachable
}
