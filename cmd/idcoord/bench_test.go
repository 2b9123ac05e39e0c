package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"math"
	"net"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/idcoord/idcoord/sidecar/client"
)

// runBenchJSON runs bench with args and -o json, and returns the result.
func runBenchJSON(t *testing.T, args ...string) (benchResult, string) {
	t.Helper()
	stdout, stderr, code := runCLI(t, append([]string{"bench", "-o", "json"}, args...)...)
	if code != 0 {
		t.Fatalf("bench %s: exit %d, stderr %q", strings.Join(args, " "), code, stderr)
	}
	var r benchResult
	if err := json.Unmarshal([]byte(stdout), &r); err != nil || strings.Count(stdout, "\n") != 1 {
		t.Fatalf("bench -o json printed %q: %v; want one JSON object", stdout, err)
	}
	return r, stderr
}

// checkSane checks the numbers of a run that had no errors.
func checkSane(t *testing.T, r benchResult, protocol string, conns, batch int) {
	t.Helper()
	if r.Protocol != protocol || r.Conns != conns || r.Batch != batch {
		t.Errorf("reports %s, %d conns, batch %d; want %s, %d, %d", r.Protocol, r.Conns, r.Batch, protocol, conns, batch)
	}
	if r.Requests <= 0 || r.IDs != r.Requests*int64(batch) {
		t.Errorf("requests %d, IDs %d; want requests > 0 and IDs = requests x %d", r.Requests, r.IDs, batch)
	}
	if r.Seconds <= 0 || r.ReqPerSec <= 0 || math.Abs(r.ReqPerSec*r.Seconds-float64(r.Requests)) > 0.01*float64(r.Requests)+1 {
		t.Errorf("%d requests in %.3fs at %.1f req/s do not agree", r.Requests, r.Seconds, r.ReqPerSec)
	}
	if math.Abs(r.IDsPerSec-r.ReqPerSec*float64(batch)) > 0.01*r.IDsPerSec+1 {
		t.Errorf("IDs/s %.1f, want req/s %.1f x %d", r.IDsPerSec, r.ReqPerSec, batch)
	}
	if !(0 < r.P50 && r.P50 <= r.P99 && r.P99 <= r.P999 && r.P999 <= r.Max && r.Mean > 0) {
		t.Errorf("latencies p50 %v p99 %v p999 %v max %v mean %v are not ordered and positive", r.P50, r.P99, r.P999, r.Max, r.Mean)
	}
	if r.Errors != 0 || r.Violations != 0 || len(r.FirstErrors) != 0 {
		t.Errorf("errors %d %v, increase violations %d; want none", r.Errors, r.FirstErrors, r.Violations)
	}
	if len(r.ErrorKinds) != int(numErrKinds) {
		t.Errorf("errors_by_kind %v; want every kind", r.ErrorKinds)
	}
	if r.LayoutCap != 4096000 {
		t.Errorf("layout cap %v, want 4096000 for twitter", r.LayoutCap)
	}
}

func TestBenchJSON(t *testing.T) {
	ts := startSidecar(t, 10000)
	for _, tc := range []struct {
		protocol     string
		conns, batch int
	}{
		{protoLine, 4, 1},
		{protoLine, 2, 500},
		{protoHTTP, 4, 1},
		{protoHTTP, 2, 3000}, // a body larger than the read buffer
	} {
		t.Run(tc.protocol, func(t *testing.T) {
			r, _ := runBenchJSON(t, "--socket", ts.path, "--protocol", tc.protocol,
				"--conns", itoa(tc.conns), "--batch", itoa(tc.batch), "--duration", "250ms")
			checkSane(t, r, tc.protocol, tc.conns, tc.batch)
		})
	}
}

func TestBenchTableAndProgress(t *testing.T) {
	ts := startSidecar(t, 10000)
	for _, protocol := range []string{protoLine, protoHTTP} {
		t.Run(protocol, func(t *testing.T) {
			stdout, stderr, code := runCLI(t, "bench", "--socket", ts.path, "--protocol", protocol, "--conns", "3", "--duration", "1500ms")
			if code != 0 {
				t.Fatalf("exit %d, stderr %q", code, stderr)
			}
			if !strings.Contains(stderr, " req/s ") || !strings.Contains(stderr, " IDs/s ") || strings.Count(stderr, "\n") < 1 {
				t.Errorf("stderr %q; want a progress line", stderr)
			}
			for _, row := range []string{"protocol             " + protocol, "connections          3", "batch                1",
				"requests/s", "IDs/s", "of the configured layout's cap", "latency p50", "latency p99", "latency p999", "latency max",
				"errors               0\n", "increase violations  0\n"} {
				if !strings.Contains(stdout, row) {
					t.Errorf("table lacks %q:\n%s", row, stdout)
				}
			}
		})
	}
}

func TestBenchUnavailable(t *testing.T) {
	down := startSidecar(t, 10000)
	down.src.setDown("lease lost")
	for _, protocol := range []string{protoLine, protoHTTP} {
		t.Run(protocol, func(t *testing.T) {
			r, _ := runBenchJSON(t, "--socket", down.path, "--protocol", protocol, "--conns", "2", "--duration", "100ms")
			if r.Requests != 0 || r.Errors == 0 || r.ErrorKinds["unavailable"] == 0 || r.Errors != r.ErrorKinds["unavailable"] {
				t.Errorf("requests %d, errors %d %v; want only unavailable errors", r.Requests, r.Errors, r.ErrorKinds)
			}
			if !strings.Contains(r.FirstErrors["unavailable"], "lease lost") {
				t.Errorf("first errors %v; want the server's reason", r.FirstErrors)
			}
		})
	}
	stdout := mustRunAllowingStderr(t, "bench", "--socket", down.path, "--conns", "1", "--duration", "50ms")
	if !strings.Contains(stdout, "  unavailable") || !strings.Contains(stdout, "(first: client: unavailable: lease lost)") {
		t.Errorf("table does not break the errors down:\n%s", stdout)
	}
}

func TestBenchErrors(t *testing.T) {
	ts := startSidecar(t, 10000)
	missing := filepath.Join(shortTempDir(t), "none.sock")
	for _, tc := range []struct {
		name string
		args []string
		want []string
	}{
		{"protocol", []string{"--protocol", "grpc"}, []string{`bench: bad flag value: --protocol "grpc": want line or http`}},
		{"no conns", []string{"--conns", "0"}, []string{"--conns 0: want 1 to 10000"}},
		{"too many conns", []string{"--conns", "10001"}, []string{"--conns 10001: want 1 to 10000"}},
		{"batch", []string{"--batch", "0"}, []string{"--batch 0: want at least 1"}},
		{"batch over max-batch", []string{"--batch", "10001"}, []string{"--batch 10001 is above max-batch 10000"}},
		{"duration", []string{"--duration", "0s"}, []string{"--duration 0s: want more than 0"}},
		{"output", []string{"-o", "yaml"}, []string{`unknown output format -o "yaml"`}},
		{"extra argument", []string{"now"}, []string{`unknown command "now"`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			wantOneLineError(t, tc.want, append([]string{"bench", "--socket", ts.path}, tc.args...)...)
		})
	}
	for _, protocol := range []string{protoLine, protoHTTP} {
		line := wantOneLineError(t, []string{"bench: cannot reach the sidecar at " + missing, "no such file or directory"},
			"bench", "--socket", missing, "--protocol", protocol)
		if _, err := execute(t, "bench", "--socket", missing, "--protocol", protocol); !errors.Is(err, errUnreachable) {
			t.Errorf("%s: %v, want errUnreachable", line, err)
		}
	}
}

func TestHistBuckets(t *testing.T) {
	prev := -1
	for _, v := range []int64{0, 1, 63, 64, 65, 100, 1000, 1023, 1024, 1 << 20, 1<<40 + 12345, math.MaxInt64 / 3, math.MaxInt64} {
		b := histBucket(v)
		if b < prev || b >= histBuckets {
			t.Fatalf("histBucket(%d) = %d after %d; want increasing, below %d", v, b, prev, histBuckets)
		}
		prev = b
		if up := histUpper(b); up < v || (b > 0 && histUpper(b-1) >= v) {
			t.Errorf("%d is in bucket %d, which ends at %d after %d", v, b, up, histUpper(b-1))
		}
		if v >= 64 && float64(histUpper(b)-histUpper(b-1)) > float64(v)/histSub {
			t.Errorf("bucket %d of %d is %d wide, over 1/%d", b, v, histUpper(b)-histUpper(b-1), histSub)
		}
	}
	for i := 1; i < histBuckets; i++ {
		if histUpper(i) <= histUpper(i-1) {
			t.Fatalf("bucket %d ends at %d, not after bucket %d at %d", i, histUpper(i), i-1, histUpper(i-1))
		}
		if histBucket(histUpper(i)) != i || histBucket(histUpper(i-1)+1) != i {
			t.Fatalf("bucket %d's ends do not map back to it", i)
		}
	}
}

func TestHistQuantiles(t *testing.T) {
	var h latencyHist
	if h.quantile(0.5) != 0 || h.mean() != 0 {
		t.Fatal("empty histogram reports latency")
	}
	for i := 1; i <= 1000; i++ {
		h.record(time.Duration(i) * time.Microsecond)
	}
	var other latencyHist
	other.record(time.Second)
	h.merge(&other)
	for _, tc := range []struct {
		q    float64
		want time.Duration
	}{
		{0.5, 501 * time.Microsecond}, // rank 501 of 1001
		{0.99, 991 * time.Microsecond},
		{0.999, 1000 * time.Microsecond},
		{1, time.Second},
	} {
		got := h.quantile(tc.q)
		if got < tc.want || float64(got-tc.want) > float64(tc.want)/histSub {
			t.Errorf("quantile(%v) = %v, want %v within 1/%d above", tc.q, got, tc.want, histSub)
		}
	}
	if h.max != int64(time.Second) || h.n != 1001 {
		t.Errorf("max %v, n %d", time.Duration(h.max), h.n)
	}
	if want := (500500*time.Microsecond + time.Second) / 1001; h.mean() != want {
		t.Errorf("mean %v, want %v", h.mean(), want)
	}
}

// BenchmarkHistRecord shows that recording a latency is cheap.
func BenchmarkHistRecord(b *testing.B) {
	var h latencyHist
	d := 37 * time.Microsecond
	b.ReportAllocs()
	for b.Loop() {
		h.record(d)
		d += 13
	}
}

// scriptConn is a net.Conn that reads a fixed answer and discards writes.
type scriptConn struct {
	net.Conn // nil; only Read, Write and Close are used
	r        io.Reader
}

func (c *scriptConn) Read(p []byte) (int, error)  { return c.r.Read(p) }
func (c *scriptConn) Write(p []byte) (int, error) { return len(p), nil }
func (c *scriptConn) Close() error                { return nil }

func TestHTTPBenchConn(t *testing.T) {
	ok := "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 6\r\n\r\n11\n12\n"
	for _, tc := range []struct {
		name   string
		answer string
		n      int
		want   []int64
		kind   errKind // when want is nil
		usable bool
	}{
		{"ok", ok, 2, []int64{11, 12}, 0, true},
		{"lowercase headers", "HTTP/1.1 200 OK\r\ncontent-length: 3\r\n\r\n11\n", 1, []int64{11}, 0, true},
		{"connection close", "HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 3\r\n\r\n11\n", 1, []int64{11}, 0, false},
		{"unavailable", httpAnswer("503 Service Unavailable", `{"error":"unavailable","reason":"down"}`+"\n"), 1, nil, kindUnavailable, true},
		{"too many", httpAnswer("400 Bad Request", `{"error":"toomany","reason":"big"}`+"\n"), 1, nil, kindTooMany, true},
		{"bad request", httpAnswer("400 Bad Request", "{}"), 1, nil, kindBadRequest, true},
		{"not JSON", httpAnswer("503 Service Unavailable", "<html>"), 1, nil, kindUnavailable, true},
		{"other status", httpAnswer("404 Not Found", ""), 1, nil, kindProtocol, true},
		{"error body too big", httpAnswer("503 Service Unavailable", strings.Repeat("x", maxErrBody+1)), 1, nil, kindProtocol, false},
		{"fewer IDs", ok, 3, nil, kindProtocol, false},
		{"no length", "HTTP/1.1 200 OK\r\n\r\n11\n", 1, nil, kindProtocol, false},
		{"chunked", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\n11\n\r\n0\r\n\r\n", 1, nil, kindProtocol, false},
		{"HTTP/1.0", "HTTP/1.0 200 OK\r\nContent-Length: 3\r\n\r\n11\n", 1, nil, kindProtocol, false},
		{"cut off", "HTTP/1.1 200 OK\r\nContent-Length: 6\r\n\r\n11\n", 2, nil, kindIO, false},
		{"nothing", "", 1, nil, kindIO, false},
		{"huge header", "HTTP/1.1 200 OK\r\nX: " + strings.Repeat("a", httpReadBuf) + "\r\n", 1, nil, kindProtocol, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := newHTTPBenchConn(&scriptConn{r: strings.NewReader(tc.answer)}, tc.n)
			got, err := c.appendIDs(nil, tc.n)
			if tc.want == nil {
				if err == nil || classify(err) != tc.kind {
					t.Fatalf("got %v, %v; want an error of kind %s", got, err, errKindNames[tc.kind])
				}
			} else if err != nil || !slices.Equal(got, tc.want) {
				t.Fatalf("got %v, %v; want %v", got, err, tc.want)
			}
			if c.usable() != tc.usable {
				t.Errorf("usable %v, want %v", c.usable(), tc.usable)
			}
		})
	}
}

func TestHTTPBenchConnKeepAlive(t *testing.T) {
	one := "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n5\n"
	busy := "HTTP/1.1 503 Service Unavailable\r\nContent-Length: 2\r\n\r\n{}"
	c := newHTTPBenchConn(&scriptConn{r: strings.NewReader(one + busy + one)}, 1)
	for i, wantErr := range []error{nil, client.ErrUnavailable, nil} {
		if _, err := c.appendIDs(nil, 1); !errors.Is(err, wantErr) {
			t.Fatalf("answer %d: %v, want %v", i, err, wantErr)
		}
	}
}

// FuzzHTTPBenchConn feeds any bytes to the raw HTTP client as an answer:
// it must return n non-negative IDs or an error, never panic or hang.
func FuzzHTTPBenchConn(f *testing.F) {
	f.Add([]byte("HTTP/1.1 200 OK\r\nContent-Length: 6\r\n\r\n11\n12\n"), 2)
	f.Add([]byte("HTTP/1.1 503 Service Unavailable\r\nContent-Length: 2\r\n\r\n{}"), 1)
	f.Add([]byte("HTTP/1.1 200 OK\r\nContent-Length: 99999\r\n\r\n1\n"), 1)
	f.Add([]byte("HTTP/1.1 200 \n\n"), 1)
	f.Fuzz(func(t *testing.T, answer []byte, n int) {
		if n < 1 || n > 100 {
			return
		}
		c := newHTTPBenchConn(&scriptConn{r: bytes.NewReader(answer)}, n)
		ids, err := c.appendIDs(nil, n)
		if err != nil {
			if len(ids) != 0 {
				t.Fatalf("error %v with %d IDs", err, len(ids))
			}
			return
		}
		if len(ids) != n {
			t.Fatalf("%d IDs, asked for %d", len(ids), n)
		}
		for _, id := range ids {
			if id < 0 {
				t.Fatalf("negative ID %d", id)
			}
		}
	})
}

// mustRunAllowingStderr runs idcoord with args and fails the test unless it
// exits 0; bench writes progress to stderr.
func mustRunAllowingStderr(t *testing.T, args ...string) string {
	t.Helper()
	stdout, stderr, code := runCLI(t, args...)
	if code != 0 {
		t.Fatalf("idcoord %s: exit %d, stderr %q", strings.Join(args, " "), code, stderr)
	}
	return stdout
}

func itoa(n int) string { return strconv.Itoa(n) }

// httpAnswer builds an HTTP/1.1 answer with a Content-Length header.
func httpAnswer(status, body string) string {
	return "HTTP/1.1 " + status + "\r\nContent-Length: " + strconv.Itoa(len(body)) + "\r\n\r\n" + body
}
