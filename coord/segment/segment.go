package segment

import (
	"errors"
	"fmt"
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
	// ErrStoreBehind: the store handed out a segment below one this
	// Allocator took before: it went back in time (restored from an older
	// backup). The segment is refused and the tag's max_id raised past what
	// this Allocator took; the fetch then takes again.
	ErrStoreBehind = errors.New("segment: the store went back in time")
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
	// A tag whose record's step is larger takes the record's step.
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
	// Floors, if set, keeps the highest segment taken per tag outside the
	// store, so that a store restored from an older backup cannot hand
	// this node IDs it handed out before, even after a restart. Nil keeps
	// that floor in memory only, for as long as the Allocator runs.
	Floors Floors
}

// DefaultConfig returns a Config with every default filled in and no Store.
func DefaultConfig() Config {
	return Config{MaxStep: DefaultMaxStep, FetchWait: DefaultFetchWait, FetchTimeout: DefaultFetchTimeout,
		Now: time.Now, Logger: zap.NewNop()}
}

// setDefaults sets c's zero fields to the defaults.
func (c *Config) setDefaults() {
	d := DefaultConfig()
	if c.MaxStep == 0 {
		c.MaxStep = d.MaxStep
	}
	if c.FetchWait == 0 {
		c.FetchWait = d.FetchWait
	}
	if c.FetchTimeout == 0 {
		c.FetchTimeout = d.FetchTimeout
	}
	if c.Now == nil {
		c.Now = d.Now
	}
	if c.Logger == nil {
		c.Logger = d.Logger
	}
}

// CheckMaxStep reports whether n can cap the dynamic step: 1 to
// coord.MaxSegmentStep. The error says what is wrong, without n: the
// caller names the field and its value.
func CheckMaxStep(n int64) error {
	switch {
	case n < 1:
		return errors.New("must be at least 1")
	case n > coord.MaxSegmentStep:
		return fmt.Errorf("above %d, the largest segment a node may take", coord.MaxSegmentStep)
	}
	return nil
}

// Validate checks the configuration, defaults applied.
func (c Config) Validate() error {
	c.setDefaults()
	if c.Store == nil {
		return errors.New("segment: no store")
	}
	if err := CheckMaxStep(c.MaxStep); err != nil {
		return fmt.Errorf("segment: max step %d %v", c.MaxStep, err)
	}
	if c.FetchWait < 0 {
		return fmt.Errorf("segment: fetch wait %s is negative", c.FetchWait)
	}
	if c.FetchTimeout < 0 {
		return fmt.Errorf("segment: fetch timeout %s is negative", c.FetchTimeout)
	}
	return nil
}
