// Package testserver starts real sidecar servers for tests, as
// net/http/httptest does for HTTP servers: each on a socket in its own
// short temporary folder (sidecartest.ShortDir), issuing from a
// sidecartest.Source that a test can make refuse or wait, and segment IDs
// of Tag from a sidecartest.Segments. It imports the
// sidecar, so the sidecar's own tests use sidecartest directly.
package testserver

import (
	"context"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"go.uber.org/zap/zaptest"

	"github.com/idcoord/idcoord/sidecar"
	"github.com/idcoord/idcoord/sidecar/sidecartest"
)

// WorkerID is the WorkerId of the generator Start gives a server that was
// configured without a Source.
const WorkerID = 7

// Tag is the segment tag known to the Segments that Start makes.
const Tag = "orders"

// Server is a sidecar serving on a Unix socket.
type Server struct {
	*sidecar.Server
	// Path is the socket.
	Path string
	// Source is the Source the server issues from, when Start made it.
	Source *sidecartest.Source
	// Segments is the SegmentSource the server issues segment IDs from,
	// when Start made it.
	Segments *sidecartest.Segments
}

// Start starts a sidecar with cfg on a socket in a new temporary folder
// whose paths fit a socket address. A nil cfg.Source is a new Source with
// WorkerID, a nil cfg.Segments a new Segments that knows Tag, a nil
// cfg.Logger logs through t. When the test ends the server
// is shut down gracefully, and the test fails unless Serve returns
// sidecar.ErrServerClosed.
func Start(t testing.TB, cfg sidecar.Config) *Server {
	t.Helper()
	ts := &Server{}
	if cfg.Source == nil {
		ts.Source = sidecartest.NewSource(t, WorkerID)
		cfg.Source = ts.Source
	}
	if cfg.Segments == nil {
		ts.Segments = sidecartest.NewSegments(Tag)
		cfg.Segments = ts.Segments
	}
	if cfg.Logger == nil {
		cfg.Logger = zaptest.NewLogger(t)
	}
	srv, err := sidecar.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ts.Server = srv
	ts.Path = filepath.Join(sidecartest.ShortDir(t), "id.sock")
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
