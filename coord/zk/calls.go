package zkcoord

import (
	"context"
	"errors"
	"fmt"
	"time"

	gozk "github.com/go-zookeeper/zk"

	"github.com/idcoord/idcoord/coord"
)

// do runs one read (Get, Exists, Children, AddAuth), which go-zookeeper
// cannot cancel, on a goroutine the Backend tracks, and returns when the call
// does or when ctx ends. After Close, do returns coord.ErrClosed.
//
// A read's answer does not move the session's last-heard instant: in an
// ensemble, a follower answers reads from its own copy, and one cut off from
// its leader goes on answering them for up to syncLimit × tickTime, while the
// leader may expire the session meanwhile. Writes and sync go through
// doLeader.
func do[T any](ctx context.Context, b *Backend, call func(*gozk.Conn) (T, error)) (T, error) {
	return run(ctx, b, func() (T, error) { return callOn(b, call) })
}

// doLeader is do for a call that only the leader answers: a write (create,
// set, delete, multi), or sync. Its answer moves the session's last-heard
// instant to the call's send time (see callLeader).
func doLeader[T any](ctx context.Context, b *Backend, call func(*gozk.Conn) (T, error)) (T, error) {
	return run(ctx, b, func() (T, error) { return callLeader(b, call) })
}

// run runs call on a tracked goroutine and returns when it does or ctx ends.
func run[T any](ctx context.Context, b *Backend, call func() (T, error)) (T, error) {
	var zero T
	if err := ctx.Err(); err != nil {
		return zero, err
	}
	type result struct {
		v   T
		err error
	}
	countOps(ctx, 1)
	ch := make(chan result, 1)
	if !b.spawn(func() {
		v, err := call()
		ch <- result{v, err}
	}) {
		return zero, fmt.Errorf("%w: the ZooKeeper backend was closed", coord.ErrClosed)
	}
	select {
	case r := <-ch:
		return r.v, r.err
	case <-ctx.Done():
		return zero, ctx.Err()
	}
}

// callOn runs one read on the calling goroutine. Its answer proves nothing
// about the session (see do).
func callOn[T any](b *Backend, call func(*gozk.Conn) (T, error)) (T, error) {
	b.ops.Add(1)
	return call(b.conn.Load())
}

// callLeader runs one write or sync on the calling goroutine. The server the
// client talks to hands both to the leader, which checks first that the
// session is live (and answers SessionExpired otherwise). So an answer
// within one session (success, or an API error such as NodeExists) proves
// that the leader held the session after the call was sent: the send time,
// not the receipt of the answer, is what the session's last-heard instant
// moves to, and the fence counts from it.
func callLeader[T any](b *Backend, call func(*gozk.Conn) (T, error)) (T, error) {
	b.ops.Add(1)
	conn := b.conn.Load()
	sid := conn.SessionID()
	sent := time.Now() // before the call: the leader saw the session live after this
	v, err := call(conn)
	if answered(err) && conn.SessionID() == sid {
		b.heard(sid, sent)
	}
	return v, err
}

// spawn runs fn on a tracked goroutine, unless the Backend is closed.
func (b *Backend) spawn(fn func()) bool {
	b.mu.Lock()
	if b.mu.closed {
		b.mu.Unlock()
		return false
	}
	b.wg.Add(1)
	b.mu.Unlock()
	go func() {
		defer b.wg.Done()
		fn()
	}()
	return true
}

// answered reports whether err (nil included) is the server's answer to a
// request, as opposed to a lost connection or a local failure.
func answered(err error) bool {
	if err == nil {
		return true
	}
	for _, e := range []error{gozk.ErrNoNode, gozk.ErrNodeExists, gozk.ErrBadVersion, gozk.ErrNotEmpty,
		gozk.ErrNoAuth, gozk.ErrNoChildrenForEphemerals, gozk.ErrInvalidACL} {
		if errors.Is(err, e) {
			return true
		}
	}
	return false
}

// lostConnection reports whether err means the request may or may not have
// reached the server.
func lostConnection(err error) bool {
	for _, e := range []error{gozk.ErrConnectionClosed, gozk.ErrNoServer, gozk.ErrClosing,
		gozk.ErrSessionExpired, gozk.ErrSessionMoved} {
		if errors.Is(err, e) {
			return true
		}
	}
	return false
}

// opErr wraps the error of a failed step: ctx's own error and ErrClosed as
// they are, a lost connection as coord.ErrUnreachable, anything else (such
// as missing permissions) as is, with what was being done.
func (b *Backend) opErr(what string, err error) error {
	switch {
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return fmt.Errorf("zkcoord: %s: %w", what, err)
	case lostConnection(err):
		return fmt.Errorf("%w: %s (ZooKeeper %v): %v", coord.ErrUnreachable, what, b.cfg.Servers, err)
	default:
		return fmt.Errorf("zkcoord: %s: %w", what, err)
	}
}

// multiFailure returns the index of the operation that made a multi fail,
// or -1 when the multi did not reach the server's answer (err is then a
// connection error) or succeeded.
func multiFailure(res []gozk.MultiResponse, err error) int {
	if err == nil || res == nil {
		return -1
	}
	for i, r := range res {
		if r.Error != nil && answered(r.Error) {
			return i
		}
	}
	return -1
}
