package loadgen

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"
	"go.uber.org/zap/zaptest"

	"github.com/idcoord/idcoord/sidecar"
	"github.com/idcoord/idcoord/snowflake"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// source is a sidecar.Source that issues from a real generator, or
// refuses with down as the reason.
type source struct {
	*snowflake.Generator
	down string
}

func (g *source) AppendIDs(ctx context.Context, dst []int64, n int) ([]int64, error) {
	if g.down != "" {
		return dst, errors.New(g.down)
	}
	return g.Generator.AppendIDs(ctx, dst, n)
}

func (g *source) Ready() error { return nil }

// serve starts a sidecar with max-batch 1000 on a socket in a short
// temporary folder and returns the socket's path.
func serve(t *testing.T, down string) string {
	t.Helper()
	gen, err := snowflake.New(snowflake.Config{WorkerID: 5})
	if err != nil {
		t.Fatal(err)
	}
	s, err := sidecar.New(sidecar.Config{Source: &source{Generator: gen, down: down}, MaxBatch: 1000, Logger: zaptest.NewLogger(t)})
	if err != nil {
		t.Fatal(err)
	}
	dir, err := os.MkdirTemp("", "lg")
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "s.sock")
	l, err := sidecar.Listen(path, 0)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- s.Serve(l) }()
	t.Cleanup(func() {
		s.Close()
		<-done
		os.RemoveAll(dir)
	})
	return path
}

// TestRun runs short loads of both protocols from several goroutines and
// checks that the result adds up and holds no errors and no IDs out of
// order.
func TestRun(t *testing.T) {
	path := serve(t, "")
	for _, protocol := range []string{ProtocolLine, ProtocolHTTP} {
		for _, batch := range []int{1, 700} {
			g, err := Dial(context.Background(), Config{Path: path, Protocol: protocol, Conns: 4, Batch: batch, Duration: 100 * time.Millisecond, LayoutCap: 1000})
			if err != nil {
				t.Fatal(err)
			}
			r := g.Run(context.Background(), nil)
			if r.Protocol != protocol || r.Conns != 4 || r.Batch != batch || r.LayoutCap != 1000 {
				t.Errorf("%s: reports %s, %d conns, batch %d, cap %v", protocol, r.Protocol, r.Conns, r.Batch, r.LayoutCap)
			}
			if r.Requests <= 0 || r.IDs != r.Requests*int64(batch) || r.Errors != 0 || r.Violations != 0 {
				t.Errorf("%s batch %d: %d requests, %d IDs, %d errors %v, %d violations", protocol, batch, r.Requests, r.IDs, r.Errors, r.FirstErrors, r.Violations)
			}
			if len(r.ErrorKinds) != len(ErrorKinds()) {
				t.Errorf("errors by kind %v; want every kind", r.ErrorKinds)
			}
		}
	}
}

// TestRunUnavailable checks that refusals are counted by kind with the
// server's reason, and that ctx ends a run early.
func TestRunUnavailable(t *testing.T) {
	path := serve(t, "lease lost")
	for _, protocol := range []string{ProtocolLine, ProtocolHTTP} {
		g, err := Dial(context.Background(), Config{Path: path, Protocol: protocol, Conns: 2, Duration: time.Hour})
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
		r := g.Run(ctx, nil)
		cancel()
		if r.Seconds > 60 {
			t.Errorf("%s: ran %vs; ctx should have ended it", protocol, r.Seconds)
		}
		if r.Requests != 0 || r.Errors == 0 || r.Errors != r.ErrorKinds["unavailable"] || !strings.Contains(r.FirstErrors["unavailable"], "lease lost") {
			t.Errorf("%s: %d requests, errors %v %v; want only unavailable, with the reason", protocol, r.Requests, r.ErrorKinds, r.FirstErrors)
		}
	}
}

func TestDialErrors(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "none.sock")
	for _, tc := range []struct {
		name   string
		cfg    Config
		config bool // want ErrBadConfig
	}{
		{"no path", Config{}, true},
		{"protocol", Config{Path: missing, Protocol: "grpc"}, true},
		{"too many conns", Config{Path: missing, Conns: MaxConns + 1}, true},
		{"negative batch", Config{Path: missing, Batch: -1}, true},
		{"negative duration", Config{Path: missing, Duration: -time.Second}, true},
		{"missing socket", Config{Path: missing}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			g, err := Dial(context.Background(), tc.cfg)
			if g != nil || err == nil || errors.Is(err, ErrBadConfig) != tc.config {
				t.Fatalf("Dial = %v, %v; want an error, ErrBadConfig %v", g, err, tc.config)
			}
		})
	}
}
