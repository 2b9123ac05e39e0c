package coord

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"time"
)

// Segment mode's errors. They belong with the errors in coord.go; they are
// declared here, beside the record they guard.
var (
	// ErrNoSegment: no segments/<tag> record exists. Tags are created by an
	// operator (idcoord segment create or import), never on the fly.
	ErrNoSegment = errors.New("coord: no such segment tag")
	// ErrSegmentExists: a create found the tag already there.
	ErrSegmentExists = errors.New("coord: segment tag exists")
	// ErrSegmentChanged: a compare-and-swap of segments/<tag> found another
	// version than the one it was given; read again and retry.
	ErrSegmentChanged = errors.New("coord: segment record changed")
	// ErrSegmentOverflow: raising max_id would pass the largest int64. The
	// tag is used up; nothing wraps to a negative number.
	ErrSegmentOverflow = errors.New("coord: segment max_id would overflow int64")
	// ErrBadTag: a tag that CheckTag refuses.
	ErrBadTag = errors.New("coord: bad segment tag")
)

// SegmentsDir is the folder of the segment records, under the cluster's
// prefix (etcd /idcoord/<cluster>/segments/<tag>, the znode of the same
// path). Its records are persistent: no lease or session holds them.
const SegmentsDir = "segments/"

// Limits of a segment record.
const (
	// MaxTagBytes is the longest tag.
	MaxTagBytes = 128
	// MaxSegmentStep is the largest step a record or a node's dynamic step
	// may take: a segment of a billion IDs is gone from every node that
	// crashes with it.
	MaxSegmentStep = 1_000_000_000
	// MaxDescriptionBytes caps a record's description.
	MaxDescriptionBytes = 1024
)

// DefaultSegmentStep is the step of a tag created without one, as Leaf's
// examples use.
const DefaultSegmentStep = 1000

// tagRule says in words which tags CheckTag accepts.
const tagRule = "a tag is 1 to 128 letters, digits and . _ : -"

// CheckTag reports whether tag can name a segment tag: 1 to MaxTagBytes
// ASCII letters, digits and '.', '_', ':', '-', and not "." or "..". The
// error wraps ErrBadTag and states the rule; the caller may quote the tag
// (quote it with %q: it is untrusted input).
func CheckTag(tag string) error {
	switch {
	case tag == "":
		return fmt.Errorf("%w: empty; %s", ErrBadTag, tagRule)
	case len(tag) > MaxTagBytes:
		return fmt.Errorf("%w: %d bytes long; %s", ErrBadTag, len(tag), tagRule)
	case tag == "." || tag == "..":
		return fmt.Errorf("%w: %q is a relative path element; %s", ErrBadTag, tag, tagRule)
	}
	for i := 0; i < len(tag); i++ {
		if !isTagByte(tag[i]) {
			return fmt.Errorf("%w: byte %d is %q; %s", ErrBadTag, i, tag[i], tagRule)
		}
	}
	return nil
}

// isTagByte reports whether b may appear in a tag.
func isTagByte(b byte) bool {
	return 'a' <= b && b <= 'z' || 'A' <= b && b <= 'Z' || '0' <= b && b <= '9' ||
		b == '.' || b == '_' || b == ':' || b == '-'
}

// SegmentRecord is segments/<tag>, Leaf's leaf_alloc row: MaxID is an
// exclusive bound (every ID ever handed out for the tag is below it), Step
// the smallest segment a node takes, UpdateTime the last write in unix
// milliseconds.
//
// MaxID only ever grows: a node takes a segment by a compare-and-swap that
// raises it (TakeSegment), an import raises it to at least Leaf's
// (RaiseSegment), and nothing else rewrites it.
type SegmentRecord struct {
	MaxID       int64  `json:"max_id"`
	Step        int64  `json:"step"`
	Description string `json:"description"`
	UpdateTime  int64  `json:"update_time"`
}

// Check reports what makes r unusable, naming key.
func (r SegmentRecord) Check(key string) error {
	switch {
	case r.MaxID < 0:
		return fmt.Errorf("%w: %s: max_id %d is negative", ErrBadRecord, key, r.MaxID)
	case r.Step < 1 || r.Step > MaxSegmentStep:
		return fmt.Errorf("%w: %s: step %d is outside 1..%d", ErrBadRecord, key, r.Step, MaxSegmentStep)
	case len(r.Description) > MaxDescriptionBytes:
		return fmt.Errorf("%w: %s: description is %d bytes; the limit is %d", ErrBadRecord, key, len(r.Description), MaxDescriptionBytes)
	}
	return nil
}

// Encode is the record's JSON, as the store keeps it.
func (r SegmentRecord) Encode() []byte {
	b, err := json.Marshal(r)
	if err != nil { // four plain fields always marshal
		panic(err)
	}
	return b
}

// DecodeSegment reads a segments/<tag> record stored under key. A value
// that is not one JSON object of the record's fields, or whose numbers do
// not fit (a max_id past 2^63-1 is refused, never wrapped), or that fails
// Check, is an error wrapping ErrBadRecord that names key. Unknown fields
// are ignored: a later version may add a descriptive one.
func DecodeSegment(key string, data []byte) (SegmentRecord, error) {
	var r SegmentRecord
	dec := json.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&r); err != nil {
		return SegmentRecord{}, fmt.Errorf("%w: %s is not a segment record: %v", ErrBadRecord, key, err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return SegmentRecord{}, fmt.Errorf("%w: %s has data after its record", ErrBadRecord, key)
	}
	if err := r.Check(key); err != nil {
		return SegmentRecord{}, err
	}
	return r, nil
}

// SegmentVersion identifies one stored version of a segments/<tag> record
// for a compare-and-swap (etcd: the key's ModRevision; ZooKeeper: the znode
// version plus one). Zero means "no record".
type SegmentVersion int64

// SegmentEntry is one tag as ListSegments returns it: its record, or Err
// (wrapping ErrBadRecord and naming the key) when it could not be decoded.
type SegmentEntry struct {
	Tag     string
	Record  SegmentRecord
	Version SegmentVersion
	Err     error
}

// SegmentStore keeps the segment records. Both backends implement it; the
// Segments tests of coordtest.Run are its conformance suite. Every error wraps
// ErrUnreachable, ErrDenied, ErrClosed or ctx's error when the store did not
// answer, and ErrBadRecord (naming the key) when a record cannot be read.
// Tags passed in have passed CheckTag. Implementations are safe for
// concurrent use.
//
// The rules of segment mode (max_id never lowers, no overflow) are not the
// store's: they live in TakeSegment, CreateSegment, SetSegmentStep and
// RaiseSegment, which every writer goes through.
type SegmentStore interface {
	// GetSegment returns tag's record and its version; an error wrapping
	// ErrNoSegment when there is none.
	GetSegment(ctx context.Context, tag string) (SegmentRecord, SegmentVersion, error)
	// ListSegments returns every tag, in byte order of the tags.
	ListSegments(ctx context.Context) ([]SegmentEntry, error)
	// PutSegment writes r under tag if the stored version is still v (zero:
	// only if no record exists), in one atomic step, and returns the new
	// version. When the compare fails it returns an error wrapping
	// ErrSegmentChanged and writes nothing. A write whose outcome is unknown
	// (the store did not answer) wraps ErrUnreachable: it may have happened.
	PutSegment(ctx context.Context, tag string, r SegmentRecord, v SegmentVersion) (SegmentVersion, error)
}

// SegmentKey is tag's key under the cluster's prefix, for messages.
func SegmentKey(tag string) string { return SegmentsDir + tag }

// Segment is a run of IDs taken for one tag: [Start, End).
type Segment struct {
	Start, End int64
}

// Len is how many IDs s holds.
func (s Segment) Len() int64 { return s.End - s.Start }

// TakeSegment takes the next segment of step IDs for tag: it raises max_id
// by step with a compare-and-swap, retrying while other nodes win the race,
// and returns [max_id_new − step, max_id_new) and the record it wrote. A
// step below the record's own is raised to it. The segment is the caller's
// alone: no other TakeSegment can return an ID of it, because each one
// moves max_id past what it returns. Errors wrap ErrNoSegment,
// ErrSegmentOverflow, the store's errors, or ctx's.
//
// A write whose outcome is unknown may have taken a segment that nobody
// uses: a gap, never a repeat.
func TakeSegment(ctx context.Context, s SegmentStore, tag string, step int64, now time.Time) (Segment, SegmentRecord, error) {
	if step < 1 || step > MaxSegmentStep {
		return Segment{}, SegmentRecord{}, fmt.Errorf("coord: segment step %d is outside 1..%d", step, MaxSegmentStep)
	}
	var seg Segment
	rec, err := updateSegment(ctx, s, tag, func(r SegmentRecord, exists bool) (SegmentRecord, error) {
		if !exists {
			return r, fmt.Errorf("%w: %q", ErrNoSegment, tag)
		}
		use := max(step, r.Step)
		if r.MaxID > math.MaxInt64-use {
			return r, fmt.Errorf("%w: %s: max_id %d + step %d", ErrSegmentOverflow, SegmentKey(tag), r.MaxID, use)
		}
		r.MaxID += use
		r.UpdateTime = now.UnixMilli()
		seg = Segment{Start: r.MaxID - use, End: r.MaxID}
		return r, nil
	})
	return seg, rec, err
}

// CreateSegment creates tag with its first ID start, the given step and
// description. An existing tag is an error wrapping ErrSegmentExists.
func CreateSegment(ctx context.Context, s SegmentStore, tag string, start, step int64, description string, now time.Time) (SegmentRecord, error) {
	r := SegmentRecord{MaxID: start, Step: step, Description: description, UpdateTime: now.UnixMilli()}
	if err := r.Check(SegmentKey(tag)); err != nil {
		return SegmentRecord{}, err
	}
	return updateSegment(ctx, s, tag, func(old SegmentRecord, exists bool) (SegmentRecord, error) {
		if exists {
			return old, fmt.Errorf("%w: %q has max_id %d", ErrSegmentExists, tag, old.MaxID)
		}
		return r, nil
	})
}

// SetSegmentStep sets tag's step, the smallest segment a node takes. It
// leaves max_id as it is.
func SetSegmentStep(ctx context.Context, s SegmentStore, tag string, step int64, now time.Time) (SegmentRecord, error) {
	return updateSegment(ctx, s, tag, func(r SegmentRecord, exists bool) (SegmentRecord, error) {
		if !exists {
			return r, fmt.Errorf("%w: %q", ErrNoSegment, tag)
		}
		r.Step = step
		r.UpdateTime = now.UnixMilli()
		return r, r.Check(SegmentKey(tag))
	})
}

// RaiseSegment makes tag's max_id at least want.MaxID: it creates the tag
// with want's step and description when it is missing, raises a lower
// max_id, and leaves a higher one alone (it never lowers). It returns the
// record before (zero when created), after, and whether it wrote. Running
// it twice writes once.
func RaiseSegment(ctx context.Context, s SegmentStore, tag string, want SegmentRecord, now time.Time) (before, after SegmentRecord, wrote bool, err error) {
	want.UpdateTime = now.UnixMilli()
	if err := want.Check(SegmentKey(tag)); err != nil {
		return SegmentRecord{}, SegmentRecord{}, false, err
	}
	after, err = updateSegment(ctx, s, tag, func(r SegmentRecord, exists bool) (SegmentRecord, error) {
		before = r // the zero record when the tag is missing
		switch {
		case !exists:
			return want, nil
		case r.MaxID >= want.MaxID:
			return r, errUnchanged
		}
		r.MaxID = want.MaxID
		r.UpdateTime = want.UpdateTime
		return r, nil
	})
	if errors.Is(err, errUnchanged) {
		return before, before, false, nil
	}
	return before, after, err == nil, err
}

// errUnchanged stops updateSegment without a write.
var errUnchanged = errors.New("unchanged")

// updateSegment reads tag, applies change and writes the result by
// compare-and-swap, again while another writer wins in between. change
// gets the zero record and false when the tag does not exist; an error from
// it ends the update without a write.
func updateSegment(ctx context.Context, s SegmentStore, tag string, change func(SegmentRecord, bool) (SegmentRecord, error)) (SegmentRecord, error) {
	if err := CheckTag(tag); err != nil {
		return SegmentRecord{}, err
	}
	for {
		r, v, err := s.GetSegment(ctx, tag)
		exists := err == nil
		if err != nil && !errors.Is(err, ErrNoSegment) {
			return SegmentRecord{}, err
		}
		next, err := change(r, exists)
		if err != nil {
			return r, err
		}
		if _, err := s.PutSegment(ctx, tag, next, v); err == nil {
			return next, nil
		} else if !errors.Is(err, ErrSegmentChanged) {
			return SegmentRecord{}, err
		}
		if err := ctx.Err(); err != nil {
			return SegmentRecord{}, err
		}
	}
}
