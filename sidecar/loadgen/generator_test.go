package loadgen

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/idcoord/idcoord/sidecar"
	"github.com/idcoord/idcoord/sidecar/testserver"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// serve starts a sidecar with max-batch 1000, refusing with down as the
// reason unless it is "", and returns its socket.
func serve(t *testing.T, down string) string {
	t.Helper()
	ts := testserver.Start(t, sidecar.Config{MaxBatch: 1000})
	ts.Source.SetDown(down)
	return ts.Path
}

// TestRun runs short loads of both protocols from several goroutines and
// checks that the result adds up and holds no errors and no IDs out of
// order.
func TestRun(t *testing.T) {
	path := serve(t, "")
	for _, protocol := range []string{ProtocolLine, ProtocolHTTP} {
		for _, batch := range []int{1, 700} {
			g, err := Dial(context.Background(), Config{Path: path, Protocol: protocol, Conns: 4, Batch: batch, Duration: 250 * time.Millisecond, LayoutCap: 1000})
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
		ctx, cancel := context.WithTimeout(context.Background(), 250*time.Millisecond)
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
