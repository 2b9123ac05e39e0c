package coord_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/idcoord/idcoord/coord"
)

var errDown = fmt.Errorf("%w: connection refused", coord.ErrUnreachable)

func TestRetryUnreachable(t *testing.T) {
	errBad := errors.New("bad credentials")
	refused := errors.New("refusing to start")
	tests := []struct {
		name string
		// fails are the errors of the first tries; later tries succeed.
		fails    []error
		stop     func(error) error
		timeout  time.Duration
		want     error  // nil: success
		wantText string // the error's text, when want is not nil
		tries    int
	}{
		{"first try", nil, nil, time.Minute, nil, "", 1},
		{"after unreachable", []error{errDown, errDown, errDown}, nil, time.Minute, nil, "", 4},
		{"other error ends it", []error{errDown, errBad}, nil, time.Minute, errBad, "bad credentials", 2},
		{"Stop ends it", []error{errDown, errDown}, func(err error) error { return refused }, time.Minute, refused, "refusing to start", 1},
		{"Stop retries others", []error{errBad, errBad}, func(error) error { return nil }, time.Minute, nil, "", 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tries := 0
			err := coord.RetryUnreachable(t.Context(), coord.Retry{Timeout: tt.timeout, Backoff: time.Millisecond, Stop: tt.stop},
				func(context.Context) error {
					tries++
					if tries <= len(tt.fails) {
						return tt.fails[tries-1]
					}
					return nil
				})
			if !errors.Is(err, tt.want) || (err != nil && err.Error() != tt.wantText) || (err == nil) != (tt.want == nil) {
				t.Fatalf("error %v, want %q", err, tt.wantText)
			}
			if tries != tt.tries {
				t.Fatalf("%d tries, want %d", tries, tt.tries)
			}
		})
	}
}

// TestRetryUnreachableGivesUp: a store that never answers is given up on
// at Timeout, with the last error and how long it was tried.
func TestRetryUnreachableGivesUp(t *testing.T) {
	var waits []time.Duration
	start := time.Now()
	err := coord.RetryUnreachable(t.Context(), coord.Retry{Timeout: 100 * time.Millisecond, Backoff: time.Millisecond, MaxBackoff: 8 * time.Millisecond,
		Waiting: func(err error, wait time.Duration) { waits = append(waits, wait) }},
		func(context.Context) error { return errDown })
	took := time.Since(start)
	if want := "coord: store unreachable: connection refused (gave up after 100ms)"; err == nil || err.Error() != want || !errors.Is(err, coord.ErrUnreachable) {
		t.Fatalf("error %v, want %q", err, want)
	}
	if took < 100*time.Millisecond {
		t.Fatalf("gave up after %s, before the timeout", took)
	}
	ms := time.Millisecond
	if len(waits) < 5 || !slices.Equal(waits[:5], []time.Duration{ms, 2 * ms, 4 * ms, 8 * ms, 8 * ms}) {
		t.Fatalf("waits %v, want doubling from 1ms up to 8ms", waits)
	}
}

// TestRetryUnreachableContext: a try gets a context that ends with the
// timeout (plus Grace), and an ended context ends the retrying.
func TestRetryUnreachableContext(t *testing.T) {
	t.Run("a try cut by the timeout returns its own error", func(t *testing.T) {
		err := coord.RetryUnreachable(t.Context(), coord.Retry{Timeout: 20 * time.Millisecond},
			func(ctx context.Context) error {
				<-ctx.Done()
				return fmt.Errorf("%w: %w", coord.ErrUnreachable, ctx.Err())
			})
		if !errors.Is(err, context.DeadlineExceeded) || strings.Contains(err.Error(), "gave up") {
			t.Fatalf("error %v, want the try's own deadline error", err)
		}
	})
	t.Run("Grace lets a try outlast the timeout", func(t *testing.T) {
		tries := 0
		err := coord.RetryUnreachable(t.Context(), coord.Retry{Timeout: 20 * time.Millisecond, Grace: time.Minute},
			func(ctx context.Context) error {
				tries++
				select {
				case <-ctx.Done():
					return ctx.Err()
				case <-time.After(40 * time.Millisecond):
				}
				return errDown
			})
		if tries != 1 || err == nil || !strings.HasSuffix(err.Error(), "(gave up after 20ms)") {
			t.Fatalf("%d tries, error %v; want one try, given up after it", tries, err)
		}
	})
	t.Run("cancelled while waiting", func(t *testing.T) {
		ctx, cancel := context.WithCancel(t.Context())
		err := coord.RetryUnreachable(ctx, coord.Retry{Timeout: time.Minute, Backoff: time.Minute,
			Waiting: func(error, time.Duration) { cancel() }},
			func(context.Context) error { return errDown })
		if !errors.Is(err, coord.ErrUnreachable) || !strings.HasSuffix(err.Error(), "(gave up after 1m0s)") {
			t.Fatalf("error %v", err)
		}
	})
}

func TestRetryValidate(t *testing.T) {
	tests := []struct {
		name string
		r    coord.Retry
		want string
	}{
		{"defaults", coord.Retry{Timeout: time.Second}, ""},
		{"no timeout", coord.Retry{}, "coord: retry timeout 0s must be above 0"},
		{"negative grace", coord.Retry{Timeout: time.Second, Grace: -1}, "coord: retry grace -1ns must not be negative"},
		{"backoff above its bound", coord.Retry{Timeout: time.Second, Backoff: time.Second, MaxBackoff: time.Millisecond},
			"coord: retry backoff 1s must be above 0 and at most the largest backoff 1ms"},
		{"long backoff raises the default bound", coord.Retry{Timeout: time.Second, Backoff: 5 * time.Second}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.r.Validate()
			if (err == nil && tt.want != "") || (err != nil && err.Error() != tt.want) {
				t.Fatalf("Validate() = %v, want %q", err, tt.want)
			}
			if err != nil {
				called := false
				rerr := coord.RetryUnreachable(t.Context(), tt.r, func(context.Context) error { called = true; return nil })
				if called || rerr == nil || rerr.Error() != tt.want {
					t.Fatalf("RetryUnreachable with an invalid Retry: called %v, error %v", called, rerr)
				}
			}
		})
	}
}
