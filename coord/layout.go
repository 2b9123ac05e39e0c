package coord

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"time"
)

// ErrLayoutMismatch: the cluster's stored layout is not the node's. Two
// layouts in one cluster repeat IDs: WorkerID 4 under 12 sequence bits and
// WorkerID 1 under 14 set the same bit (4<<12 == 1<<14), and two epochs or
// time units turn one instant into two timestamps. Errors of type
// *LayoutMismatchError match it. It belongs with the errors in coord.go; it
// is declared here, beside the record it guards.
var ErrLayoutMismatch = errors.New("coord: two layouts in one cluster")

// LayoutKey is the name of the cluster's layout record, under the cluster's
// prefix (etcd /idcoord/<cluster>/layout, the ZooKeeper znode of the same
// path). It is persistent: no lease or session holds it.
const LayoutKey = "layout"

// LayoutRecord is a cluster's ID layout as the store keeps it under
// LayoutKey: every field that decides which bits of an ID a node sets. The
// first node of a cluster stores it; no node rewrites it, and a node whose
// layout differs refuses to start (see Backend.Layout). The epoch and the
// time unit are whole milliseconds, as IDs count them.
//
// The record is JSON. A reader refuses fields it does not know: a later
// version may add one that moves bits, and a node that ignored it would
// repeat IDs.
type LayoutRecord struct {
	TimeBits     int   `json:"time_bits"`
	TimeUnitMS   int64 `json:"time_unit_ms"`
	WorkerBits   int   `json:"worker_bits"`
	SequenceBits int   `json:"sequence_bits"`
	EpochUnixMS  int64 `json:"epoch_unix_ms"`
	// DatacenterBits is the width of a datacenter field carved out of the
	// WorkerID bits, and DatacenterID the cluster's value in it; 0 and 0
	// while layouts have no such field.
	DatacenterBits int   `json:"datacenter_bits"`
	DatacenterID   int64 `json:"datacenter_id"`
}

// MaxWorkerID is the largest WorkerID the layout holds, or 0 when its
// worker bits are out of any layout's bounds.
func (r LayoutRecord) MaxWorkerID() int64 {
	if r.WorkerBits < 1 || r.WorkerBits > 62 {
		return 0
	}
	return 1<<r.WorkerBits - 1
}

// String describes the layout in one line, as the refusal and lease ls
// print it: "41/10/12 @1ms epoch 2010-11-04T01:42:54.657Z" (time, worker and
// sequence bits, the tick, the epoch), with the datacenter field when it has
// one.
func (r LayoutRecord) String() string {
	s := fmt.Sprintf("%d/%d/%d @%s epoch %s", r.TimeBits, r.WorkerBits, r.SequenceBits,
		time.Duration(r.TimeUnitMS)*time.Millisecond, time.UnixMilli(r.EpochUnixMS).UTC().Format(time.RFC3339Nano))
	if r.DatacenterBits != 0 || r.DatacenterID != 0 {
		s += fmt.Sprintf(", datacenter %d of %d bits", r.DatacenterID, r.DatacenterBits)
	}
	return s
}

// Encode returns the record as the store keeps it.
func (r LayoutRecord) Encode() []byte {
	b, err := json.Marshal(r)
	if err != nil {
		panic(fmt.Sprintf("coord: encoding a layout: %v", err)) // a struct of ints cannot fail
	}
	return b
}

// DecodeLayout reads a stored layout record; key names where it was read,
// for the error. A record that is not one JSON object of the fields above,
// lacks one of the first five, or holds values no layout can have is an
// error wrapping ErrBadRecord: guessing at a layout would be unsafe.
func DecodeLayout(key string, data []byte) (LayoutRecord, error) {
	var raw struct {
		TimeBits       *int   `json:"time_bits"`
		TimeUnitMS     *int64 `json:"time_unit_ms"`
		WorkerBits     *int   `json:"worker_bits"`
		SequenceBits   *int   `json:"sequence_bits"`
		EpochUnixMS    *int64 `json:"epoch_unix_ms"`
		DatacenterBits int    `json:"datacenter_bits"`
		DatacenterID   int64  `json:"datacenter_id"`
	}
	bad := func(why string) error {
		const show = 120
		shown := string(data)
		if len(shown) > show {
			shown = shown[:show] + "…"
		}
		return fmt.Errorf("%w: the cluster's layout %s holds %q: %s", ErrBadRecord, key, shown, why)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&raw); err != nil {
		var typeErr *json.UnmarshalTypeError
		switch {
		case errors.As(err, &typeErr) && typeErr.Field != "":
			return LayoutRecord{}, bad(typeErr.Field + " is not a whole number")
		case errors.As(err, &typeErr):
			return LayoutRecord{}, bad("not a JSON object")
		}
		return LayoutRecord{}, bad(err.Error())
	}
	if _, err := dec.Token(); err != io.EOF {
		return LayoutRecord{}, bad("data after the JSON object")
	}
	if raw.TimeBits == nil || raw.TimeUnitMS == nil || raw.WorkerBits == nil || raw.SequenceBits == nil || raw.EpochUnixMS == nil {
		return LayoutRecord{}, bad("time_bits, time_unit_ms, worker_bits, sequence_bits and epoch_unix_ms are all required")
	}
	r := LayoutRecord{TimeBits: *raw.TimeBits, TimeUnitMS: *raw.TimeUnitMS, WorkerBits: *raw.WorkerBits,
		SequenceBits: *raw.SequenceBits, EpochUnixMS: *raw.EpochUnixMS,
		DatacenterBits: raw.DatacenterBits, DatacenterID: raw.DatacenterID}
	if err := r.check(); err != nil {
		return LayoutRecord{}, bad(err.Error())
	}
	return r, nil
}

// check reports values that no layout can have. It checks the record, not
// a configuration: the limits of a layout a node may run are
// snowflake.Layout's.
func (r LayoutRecord) check() error {
	switch {
	case r.TimeBits < 1 || r.WorkerBits < 1 || r.SequenceBits < 1 || r.DatacenterBits < 0:
		return errors.New("a field has no bits")
	case r.TimeBits+r.DatacenterBits+r.WorkerBits+r.SequenceBits > 63:
		return errors.New("the fields need more than 63 bits")
	case r.TimeUnitMS < 1 || r.TimeUnitMS > math.MaxInt64/int64(time.Millisecond):
		return errors.New("the time unit is below 1ms or beyond a time.Duration")
	case r.DatacenterID < 0 || r.DatacenterID > 1<<r.DatacenterBits-1:
		return errors.New("datacenter_id does not fit datacenter_bits")
	}
	return nil
}

// LayoutMismatchError is the ErrLayoutMismatch of a node whose layout is not
// the one stored for its cluster. It names both, and the way out.
type LayoutMismatchError struct {
	// Cluster is the cluster's name.
	Cluster string
	// Stored is the cluster's layout; Proposed the node's.
	Stored, Proposed LayoutRecord
}

// Error says which layout the cluster has, which one the node has, and
// what to do, in one line.
func (e *LayoutMismatchError) Error() string {
	other := e.Proposed
	other.DatacenterID = e.Stored.DatacenterID
	if other == e.Stored {
		// Only the datacenter differs: a cluster is one datacenter.
		return fmt.Sprintf("%v: cluster %q uses layout %s; this node's is %s: a cluster is one datacenter, and a node of "+
			"datacenter %d here would take WorkerIds that datacenter %d's own cluster hands out too, repeating their IDs; "+
			"start this node in its own datacenter's cluster (its store, or another --cluster), or with datacenter.id %d",
			ErrLayoutMismatch, e.Cluster, e.Stored, e.Proposed, e.Proposed.DatacenterID, e.Proposed.DatacenterID, e.Stored.DatacenterID)
	}
	return fmt.Sprintf("%v: cluster %q uses layout %s; this node's is %s, and IDs of one repeat IDs of the other; "+
		"start this node under a new cluster name (--cluster), or with the cluster's layout",
		ErrLayoutMismatch, e.Cluster, e.Stored, e.Proposed)
}

// Is makes every LayoutMismatchError match ErrLayoutMismatch.
func (e *LayoutMismatchError) Is(target error) bool { return target == ErrLayoutMismatch }

// AgreeLayout is the answer of Backend.Layout once the stored layout is
// known: stored, and a *LayoutMismatchError when it is not proposed.
func AgreeLayout(cluster string, stored, proposed LayoutRecord) (LayoutRecord, error) {
	if stored != proposed {
		return stored, &LayoutMismatchError{Cluster: cluster, Stored: stored, Proposed: proposed}
	}
	return stored, nil
}
