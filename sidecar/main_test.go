package sidecar

import (
	"bufio"
	"context"
	"errors"
	"net"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"go.uber.org/goleak"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest"

	"github.com/idcoord/idcoord/sidecar/sidecartest"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// testServer is a Server serving on a socket in a temporary folder.
type testServer struct {
	*Server
	path string
	src  *sidecartest.Source
	segs *sidecartest.Segments // knows testTags
	reg  *prometheus.Registry
}

// testTags are the segment tags a test server knows.
var testTags = []string{"orders", "user.ids", strings.Repeat("t", 128)}

// startServer starts a server with short timeouts; edit adjusts the config.
// Cleanup shuts it down and checks Serve's result.
func startServer(t testing.TB, edit func(*Config)) *testServer {
	t.Helper()
	return startServerLogged(t, zaptest.NewLogger(t), edit)
}

func startServerLogged(t testing.TB, log *zap.Logger, edit func(*Config)) *testServer {
	t.Helper()
	ts := &testServer{src: sidecartest.NewSource(t, 7), segs: sidecartest.NewSegments(testTags...), reg: prometheus.NewRegistry()}
	ts.path = filepath.Join(sidecartest.ShortDir(t), "run", "idcoord.sock")
	cfg := Config{
		Source:      ts.src,
		Segments:    ts.segs,
		Status:      ts.src.Status,
		Logger:      log,
		Registry:    ts.reg,
		IdleTimeout: 5 * time.Second,
		ReadTimeout: 2 * time.Second,
	}
	if edit != nil {
		edit(&cfg)
	}
	s, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ts.Server = s
	l, err := Listen(ts.path, 0)
	if err != nil {
		t.Fatal(err)
	}
	served := make(chan error, 1)
	go func() { served <- s.Serve(l) }()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := s.Shutdown(ctx); err != nil {
			t.Errorf("Shutdown: %v", err)
			s.Close()
		}
		if err := <-served; !errors.Is(err, ErrServerClosed) {
			t.Errorf("Serve returned %v, want ErrServerClosed", err)
		}
	})
	return ts
}

// lineConn is a raw client connection for the line protocol.
type lineConn struct {
	t testing.TB
	*net.UnixConn
	r *bufio.Reader
}

func dialLine(t testing.TB, path string) *lineConn {
	t.Helper()
	c, err := net.Dial("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	c.SetDeadline(time.Now().Add(10 * time.Second))
	return &lineConn{t: t, UnixConn: c.(*net.UnixConn), r: newReader(c)}
}

func newReader(c net.Conn) *bufio.Reader { return bufio.NewReaderSize(c, 1<<20) }

// send writes s.
func (c *lineConn) send(s string) {
	c.t.Helper()
	if _, err := c.Write([]byte(s)); err != nil {
		c.t.Fatalf("write: %v", err)
	}
}

// line reads one answer line, without its newline.
func (c *lineConn) line() string {
	c.t.Helper()
	s, err := c.r.ReadString('\n')
	if err != nil {
		c.t.Fatalf("reading an answer: %v (got %q)", err, s)
	}
	return strings.TrimSuffix(s, "\n")
}

// ask sends req and returns the answer line.
func (c *lineConn) ask(req string) string {
	c.t.Helper()
	c.send(req)
	return c.line()
}

// expectEOF checks that the server closed the connection with nothing more
// to read.
func (c *lineConn) expectEOF() {
	c.t.Helper()
	s, err := c.r.ReadString('\n')
	if s != "" || err == nil {
		c.t.Fatalf("read %q, %v; want the connection closed", s, err)
	}
}

// parseIDs parses an answer of n increasing IDs separated by single spaces.
func parseIDs(t testing.TB, line string, n int) []int64 {
	t.Helper()
	fields := strings.Split(line, " ")
	if len(fields) != n {
		t.Fatalf("got %d IDs, want %d: %.80q", len(fields), n, line)
	}
	ids := make([]int64, n)
	for i, f := range fields {
		id, err := strconv.ParseInt(f, 10, 64)
		if err != nil || id <= 0 || strconv.FormatInt(id, 10) != f {
			t.Fatalf("ID %d is %q, not a positive decimal", i, f)
		}
		if i > 0 && id <= ids[i-1] {
			t.Fatalf("IDs not increasing: %d then %d", ids[i-1], id)
		}
		ids[i] = id
	}
	return ids
}

// assertServing checks that a fresh client still gets an ID.
func assertServing(t testing.TB, path string) {
	t.Helper()
	c := dialLine(t, path)
	parseIDs(t, c.ask("1\n"), 1)
	c.Close()
}

// metricValue reads a counter or gauge.
func metricValue(m prometheus.Metric) float64 {
	var d dto.Metric
	if err := m.Write(&d); err != nil {
		panic(err)
	}
	if d.Counter != nil {
		return d.Counter.GetValue()
	}
	return d.Gauge.GetValue()
}
