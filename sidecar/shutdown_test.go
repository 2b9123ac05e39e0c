package sidecar

import (
	"context"
	"errors"
	"io"
	"io/fs"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"go.uber.org/zap/zaptest"

	"github.com/idcoord/idcoord/sidecar/sidecartest"
)

// shutdownAsync starts s.Shutdown, with no deadline, and returns the
// channel its result arrives on.
func shutdownAsync(s *Server) <-chan error {
	shut := make(chan error, 1)
	go func() { shut <- s.Shutdown(context.Background()) }()
	return shut
}

// startBare starts a server without the cleanup of startServer, for tests
// that shut it down themselves.
func startBare(t *testing.T) (*Server, *sidecartest.Source, string, chan error) {
	t.Helper()
	src := sidecartest.NewSource(t, 7)
	path := filepath.Join(sidecartest.ShortDir(t), "s.sock")
	s, err := New(Config{Source: src, Logger: zaptest.NewLogger(t)})
	if err != nil {
		t.Fatal(err)
	}
	l, err := Listen(path, 0)
	if err != nil {
		t.Fatal(err)
	}
	served := make(chan error, 1)
	go func() { served <- s.Serve(l) }()
	return s, src, path, served
}

func TestShutdownFinishesInFlight(t *testing.T) {
	s, src, path, served := startBare(t)
	idleLine := dialLine(t, path)
	parseIDs(t, idleLine.ask("1\n"), 1)
	hc := httpClient(t, path)
	if code, _, _ := get(t, hc, "GET", "http://idcoord/id", ""); code != 200 {
		t.Fatal(code)
	}
	entered, release := src.Hold()
	busy := dialLine(t, path)
	busy.send("3\n")
	<-entered

	shut := shutdownAsync(s)
	if err := <-served; !errors.Is(err, ErrServerClosed) {
		t.Fatalf("Serve returned %v", err)
	}
	idleLine.expectEOF()
	select {
	case err := <-shut:
		t.Fatalf("Shutdown returned %v with a request in flight", err)
	default:
	}
	release()
	parseIDs(t, busy.line(), 3)
	busy.expectEOF()
	if err := <-shut; err != nil {
		t.Fatalf("Shutdown: %v", err)
	}
	if _, err := os.Lstat(path); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("socket file left behind: %v", err)
	}
	if err := s.Serve(mustListen(t)); !errors.Is(err, ErrServerClosed) {
		t.Fatalf("Serve after Shutdown returned %v", err)
	}
}

func TestShutdownAnswersBufferedPipeline(t *testing.T) {
	s, src, path, served := startBare(t)
	entered, release := src.Hold()
	c := dialLine(t, path)
	c.send("1\n2\n3\n")
	<-entered
	shut := shutdownAsync(s)
	<-served
	release()
	parseIDs(t, c.line(), 1)
	<-entered
	<-entered
	parseIDs(t, c.line(), 2)
	parseIDs(t, c.line(), 3)
	c.expectEOF()
	if err := <-shut; err != nil {
		t.Fatal(err)
	}
}

func TestShutdownTimeoutThenClose(t *testing.T) {
	s, src, path, served := startBare(t)
	entered, _ := src.Hold() // never released
	c := dialLine(t, path)
	c.send("1\n")
	<-entered
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if err := s.Shutdown(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Shutdown returned %v, want DeadlineExceeded", err)
	}
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	<-served
	out, _ := io.ReadAll(c.r)
	if len(out) != 0 && !isErrLine(string(out[:len(out)-1])) {
		t.Fatalf("a request cut short by Close got %q", out)
	}
}

func TestShutdownClosesIdleHTTP(t *testing.T) {
	s, _, path, served := startBare(t)
	tr := httpClient(t, path)
	if code, _, _ := get(t, tr, "GET", "http://idcoord/id", ""); code != 200 {
		t.Fatal(code)
	}
	if err := s.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	<-served
	if _, err := tr.Get("http://idcoord/id"); err == nil {
		t.Fatal("a request after Shutdown succeeded")
	}
	tr.Transport.(*http.Transport).CloseIdleConnections()
}

func mustListen(t *testing.T) net.Listener {
	t.Helper()
	l, err := Listen(filepath.Join(sidecartest.ShortDir(t), "again.sock"), 0)
	if err != nil {
		t.Fatal(err)
	}
	return l
}
