// Package sidecartest starts real sidecar servers for tests, as
// net/http/httptest does for HTTP servers: each on a socket in its own
// short temporary folder, issuing from a real generator that a test can
// make refuse or wait. The sidecar package's own tests cannot import it
// (it imports sidecar) and keep their own.
package sidecartest

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"go.uber.org/zap/zaptest"

	"github.com/idcoord/idcoord/sidecar"
	"github.com/idcoord/idcoord/snowflake"
)

// WorkerID is the WorkerId of the generator Start gives a server that was
// configured without a Source.
const WorkerID = 7

// Source is a sidecar.Source that issues from a real generator of the
// twitter layout. SetDown makes it refuse and Hold makes it wait; both are
// safe to call while it serves.
type Source struct {
	gen  *snowflake.Generator
	down atomic.Pointer[string]
	hold atomic.Pointer[chan struct{}]
}

// NewSource returns a Source for workerID.
func NewSource(t testing.TB, workerID int64) *Source {
	t.Helper()
	gen, err := snowflake.New(snowflake.Config{WorkerID: workerID})
	if err != nil {
		t.Fatal(err)
	}
	return &Source{gen: gen}
}

// AppendIDs issues n IDs, unless the Source is down; while it holds, it
// first waits for the release or for ctx.
func (s *Source) AppendIDs(ctx context.Context, dst []int64, n int) ([]int64, error) {
	if r := s.down.Load(); r != nil {
		return dst, errors.New(*r)
	}
	if hold := s.hold.Load(); hold != nil {
		select {
		case <-*hold:
		case <-ctx.Done():
			return dst, ctx.Err()
		}
	}
	return s.gen.AppendIDs(ctx, dst, n)
}

// Ready returns the reason the Source is down, or nil.
func (s *Source) Ready() error {
	if r := s.down.Load(); r != nil {
		return errors.New(*r)
	}
	return nil
}

// Layout returns the generator's layout.
func (s *Source) Layout() snowflake.Layout { return s.gen.Layout() }

// SetDown makes the Source refuse every request with reason, or issue
// again when reason is "".
func (s *Source) SetDown(reason string) {
	if reason == "" {
		s.down.Store(nil)
		return
	}
	s.down.Store(&reason)
}

// Hold makes requests wait until release is called (or their context
// ends).
func (s *Source) Hold() (release func()) {
	gate := make(chan struct{})
	s.hold.Store(&gate)
	return func() {
		s.hold.Store(nil)
		close(gate)
	}
}

// Server is a sidecar serving on a Unix socket.
type Server struct {
	*sidecar.Server
	// Path is the socket.
	Path string
	// Source is the Source the server issues from, when Start made it.
	Source *Source
}

// Start starts a sidecar with cfg on a socket in a new temporary folder
// whose paths fit a socket address. A nil cfg.Source is a new Source with
// WorkerID, a nil cfg.Logger logs through t. When the test ends the server
// is shut down gracefully, and the test fails unless Serve returns
// sidecar.ErrServerClosed.
func Start(t testing.TB, cfg sidecar.Config) *Server {
	t.Helper()
	ts := &Server{}
	if cfg.Source == nil {
		ts.Source = NewSource(t, WorkerID)
		cfg.Source = ts.Source
	}
	if cfg.Logger == nil {
		cfg.Logger = zaptest.NewLogger(t)
	}
	srv, err := sidecar.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ts.Server = srv
	ts.Path = filepath.Join(TempDir(t), "id.sock")
	l, err := sidecar.Listen(ts.Path, 0)
	if err != nil {
		t.Fatal(err)
	}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(l) }()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := srv.Shutdown(ctx); err != nil {
			t.Errorf("Shutdown: %v", err)
			srv.Close()
		}
		if err := <-served; !errors.Is(err, sidecar.ErrServerClosed) {
			t.Errorf("Serve returned %v, want ErrServerClosed", err)
		}
	})
	return ts
}

// TempDir returns a new folder whose paths fit a Unix socket address,
// removed when the test ends. t.TempDir's may be too long.
func TempDir(t testing.TB) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "sc")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	return dir
}
