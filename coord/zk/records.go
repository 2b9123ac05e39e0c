package zkcoord

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/idcoord/idcoord/coord"
)

// endpoint is the data of a forever znode, byte for byte as Meituan Leaf's
// SnowflakeZookeeperHolder writes it with Jackson: {"ip":"…","port":"…",
// "timestamp":N}, ip and port as strings, timestamp as unix milliseconds.
// Leaf stores its last clock report there; idcoord stores W.
type endpoint struct {
	IP        string `json:"ip"`
	Port      string `json:"port"`
	Timestamp int64  `json:"timestamp"`
}

// highWater is the data of hw/<wid> in ephemeral mode.
type highWater struct {
	UnixMS int64  `json:"w_unix_ms"`
	Holder string `json:"holder"`
}

// holder is the data of workers/<wid>.
type holder struct {
	Node  string    `json:"node"`
	Admin string    `json:"admin"`
	Since time.Time `json:"since"`
}

// decodeEndpoint parses forever znode data. The timestamp must be present
// and not negative: it is W, and a guess would be unsafe.
func decodeEndpoint(path string, data []byte) (endpoint, error) {
	var raw struct {
		IP        *string `json:"ip"`
		Port      *string `json:"port"`
		Timestamp *int64  `json:"timestamp"`
	}
	if err := json.Unmarshal(data, &raw); err != nil {
		return endpoint{}, badRecord(path, data, err.Error())
	}
	if raw.Timestamp == nil || *raw.Timestamp < 0 {
		return endpoint{}, badRecord(path, data, "timestamp is missing or negative")
	}
	e := endpoint{Timestamp: *raw.Timestamp}
	if raw.IP != nil {
		e.IP = *raw.IP
	}
	if raw.Port != nil {
		e.Port = *raw.Port
	}
	return e, nil
}

// decodeHighWater parses hw/<wid>. W must be present and not negative.
func decodeHighWater(path string, data []byte) (highWater, error) {
	var raw struct {
		UnixMS *int64 `json:"w_unix_ms"`
		Holder string `json:"holder"`
	}
	if err := json.Unmarshal(data, &raw); err != nil {
		return highWater{}, badRecord(path, data, err.Error())
	}
	if raw.UnixMS == nil || *raw.UnixMS < 0 {
		return highWater{}, badRecord(path, data, "w_unix_ms is missing or negative")
	}
	return highWater{UnixMS: *raw.UnixMS, Holder: raw.Holder}, nil
}

// decodeJSON parses the records idcoord alone writes (peers, reports,
// holders).
func decodeJSON[T any](path string, data []byte) (T, error) {
	var v T
	if err := json.Unmarshal(data, &v); err != nil {
		return v, badRecord(path, data, err.Error())
	}
	return v, nil
}

func badRecord(path string, data []byte, why string) error {
	const show = 64
	if len(data) > show {
		data = append(data[:show:show], "…"...)
	}
	return fmt.Errorf("%w: %s holds %q: %s", coord.ErrBadRecord, path, data, why)
}

// encode marshals one of the plain records above, which cannot fail.
func encode(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(fmt.Sprintf("zkcoord: encoding %T: %v", v, err)) // only structs of strings, ints and times
	}
	return b
}

// ceilMilli is t in unix milliseconds, rounded up, so that a stored W is
// never below the instant it stands for.
func ceilMilli(t time.Time) int64 {
	ms := t.UnixMilli()
	if t.After(time.UnixMilli(ms)) {
		ms++
	}
	return ms
}
