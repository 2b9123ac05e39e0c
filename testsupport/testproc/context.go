package testproc

import (
	"context"
	"os/exec"
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

// CommandUntilDeadline returns a command for name and args that is stopped before the
// test's deadline (go test -timeout), if it has one, with time left to
// report what it printed: it waits as long as the test may, whatever the
// machine's speed, and no longer.
func CommandUntilDeadline(t *testing.T, name string, args ...string) *exec.Cmd {
	t.Helper()
	ctx := t.Context()
	var grace time.Duration
	if d, ok := t.Deadline(); ok {
		// As Go's own testenv.CommandContext: 5% of the time left, for the
		// process to stop and its output to be read.
		grace = max(time.Until(d)/20, 100*time.Millisecond)
		var cancel context.CancelFunc
		ctx, cancel = context.WithDeadline(ctx, d.Add(-2*grace))
		t.Cleanup(cancel)
	}
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.WaitDelay = grace
	return cmd
}
