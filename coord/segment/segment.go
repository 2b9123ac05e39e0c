package segment

import (
	"context"
	"errors"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/zap"

	"github.com/idcoord/idcoord/coord"
)

// Errors an Allocator returns besides coord.ErrNoSegment (unknown tag),
// coord.ErrBadTag and ctx's error; test them with errors.Is.
var (
	// ErrUnavailable: the tag has no loaded ID left and the store did not
	// hand out a segment within Config.FetchWait.
	ErrUnavailable = errors.New("segment: no segment loaded and the store did not answer")
	// ErrClosed: Close was called.
	ErrClosed = errors.New("segment: allocator closed")
	// ErrBadCount: a batch of fewer than one ID was asked for.
	ErrBadCount = errors.New("segment: count must be at least 1")
)

// Defaults for Config's zero fields.
const (
	DefaultMaxStep      = 1_000_000
	DefaultFetchWait    = time.Second
	DefaultFetchTimeout = 5 * time.Second
)

// Config configures an Allocator. Zero fields take the defaults above.
type Config struct {
	// Store keeps the segments/<tag> records. Required.
	Store coord.SegmentStore
	// MaxStep caps the dynamic step (segment.max-step); see CheckMaxStep.
	MaxStep int64
	// FetchWait bounds how long a request whose tag has no ID loaded waits
	// for the store before it fails with ErrUnavailable.
	FetchWait time.Duration
	// FetchTimeout bounds one store call of a fetch.
	FetchTimeout time.Duration
	// Now is the wall clock written as update_time; nil means time.Now.
	Now func() time.Time
	// Logger; nil means no logging.
	Logger *zap.Logger
	// Registerer receives the per-tag metrics; nil means none.
	Registerer prometheus.Registerer
}

// Allocator hands out segment IDs for any number of tags. Safe for
// concurrent use.
type Allocator struct{}

// New returns an Allocator. It loads nothing until a tag is asked for.
func New(cfg Config) (*Allocator, error) { panic("segment: unimplemented") }

// AppendIDs appends n IDs of tag (1 <= n) to dst, in increasing order.
func (a *Allocator) AppendIDs(ctx context.Context, tag string, dst []int64, n int) ([]int64, error) {
	panic("segment: unimplemented")
}

// Status returns each loaded tag's buffers, in tag order.
func (a *Allocator) Status() []TagStatus { panic("segment: unimplemented") }

// Close stops the background fetches and waits for them.
func (a *Allocator) Close() error { panic("segment: unimplemented") }

// TagStatus is one tag's double buffer, shaped for JSON (/status).
type TagStatus struct {
	Tag string `json:"tag"`
}
