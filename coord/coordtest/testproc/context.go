package testproc

import (
	"context"
	"testing"
	"time"
)

// Context returns a context that ends shortly before the test binary's own
// deadline (go test -timeout), or after 5 minutes without one. Waits for a
// state (a server healthy, a lease claimed) use it instead of a fixed
// timeout: on a busy machine a state comes late but comes, and a wait that
// never ends still fails with its own message before go test's panic.
func Context(tb testing.TB) context.Context {
	deadline, ok := tb.(interface{ Deadline() (time.Time, bool) })
	end := time.Now().Add(5 * time.Minute)
	if ok {
		if d, has := deadline.Deadline(); has {
			end = d.Add(-max(time.Until(d)/20, 5*time.Second))
		}
	}
	ctx, cancel := context.WithDeadline(context.Background(), end)
	tb.Cleanup(cancel)
	return ctx
}
