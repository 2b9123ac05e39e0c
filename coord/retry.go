package coord

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// Defaults for Retry's zero fields.
const (
	DefaultBackoff    = 100 * time.Millisecond
	DefaultMaxBackoff = 2 * time.Second
)

// Retry says how RetryUnreachable retries: for how long, and how long it
// waits between two tries. Zero fields take the defaults above; Timeout is
// required.
type Retry struct {
	// Timeout bounds the retrying, tries included: once it has passed, no
	// try starts, and the last error is returned with "(gave up after
	// <Timeout>)". Required: above 0.
	Timeout time.Duration
	// Grace lets a try that started before Timeout run on for this much
	// longer: a wait of its own that must not be cut short (a node's claim
	// floor). Zero means none: every try ends with Timeout.
	Grace time.Duration
	// Backoff is the first wait; each next one doubles the last, up to
	// MaxBackoff.
	Backoff, MaxBackoff time.Duration
	// Stop decides whether a failed try ends the retrying: it returns the
	// error to end with, or nil to try again. Nil means: end with the error
	// unless it wraps ErrUnreachable.
	Stop func(err error) error
	// Waiting, if not nil, is told of each failed try that is tried again,
	// and of the wait before the next one: for a log line.
	Waiting func(err error, wait time.Duration)
}

// Validate checks r, defaults applied.
func (r Retry) Validate() error {
	r = r.withDefaults()
	switch {
	case r.Timeout <= 0:
		return fmt.Errorf("coord: retry timeout %s must be above 0", r.Timeout)
	case r.Grace < 0:
		return fmt.Errorf("coord: retry grace %s must not be negative", r.Grace)
	case r.Backoff <= 0 || r.MaxBackoff < r.Backoff:
		return fmt.Errorf("coord: retry backoff %s must be above 0 and at most the largest backoff %s", r.Backoff, r.MaxBackoff)
	}
	return nil
}

func (r Retry) withDefaults() Retry {
	if r.Backoff == 0 {
		r.Backoff = DefaultBackoff
	}
	if r.MaxBackoff == 0 {
		r.MaxBackoff = max(DefaultMaxBackoff, r.Backoff)
	}
	if r.Stop == nil {
		r.Stop = stopUnlessUnreachable
	}
	return r
}

func stopUnlessUnreachable(err error) error {
	if errors.Is(err, ErrUnreachable) {
		return nil
	}
	return err
}

// RetryUnreachable calls try until it succeeds, fails with an error that
// ends the retrying (by default one that does not wrap ErrUnreachable), or
// r.Timeout has passed, waiting with exponential backoff between tries. It
// is how a process starts against a store that may not answer yet: it
// never falls back on anything it read before.
//
// try gets a context that ends r.Timeout + r.Grace from now, or with ctx.
// A try that fails because that context ended returns its own error as it
// is; a wait cut short by the end of ctx or of r.Timeout returns the last
// error with "(gave up after <r.Timeout>)". It returns r's validation error
// without calling try when r is invalid.
func RetryUnreachable(ctx context.Context, r Retry, try func(ctx context.Context) error) error {
	if err := r.Validate(); err != nil {
		return err
	}
	r = r.withDefaults()
	giveUp := time.NewTimer(r.Timeout)
	defer giveUp.Stop()
	ctx, cancel := context.WithTimeout(ctx, r.Timeout+r.Grace)
	defer cancel()
	wait := r.Backoff
	for {
		err := try(ctx)
		if err == nil {
			return nil
		}
		if stop := r.Stop(err); stop != nil {
			return stop
		}
		if ctx.Err() != nil {
			return err
		}
		gaveUp := fmt.Errorf("%w (gave up after %s)", err, r.Timeout)
		select {
		case <-giveUp.C:
			return gaveUp // during the try, which had Grace
		default:
		}
		if r.Waiting != nil {
			r.Waiting(err, wait)
		}
		select {
		case <-ctx.Done():
			return gaveUp
		case <-giveUp.C:
			return gaveUp
		case <-time.After(wait):
		}
		wait = min(2*wait, r.MaxBackoff)
	}
}
