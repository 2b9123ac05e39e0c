package main

import (
	"encoding/json"
	"errors"
	"math"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/idcoord/idcoord/sidecar/loadgen"
	"github.com/idcoord/idcoord/sidecar/sidecartest"
	"github.com/idcoord/idcoord/sidecar/testserver"
)

// runBenchJSON runs bench with args and -o json, and returns the result.
func runBenchJSON(t *testing.T, args ...string) (loadgen.Result, string) {
	t.Helper()
	stdout, stderr, code := runCLI(t, append([]string{"bench", "-o", "json"}, args...)...)
	if code != 0 {
		t.Fatalf("bench %s: exit %d, stderr %q", strings.Join(args, " "), code, stderr)
	}
	var r loadgen.Result
	if err := json.Unmarshal([]byte(stdout), &r); err != nil || strings.Count(stdout, "\n") != 1 {
		t.Fatalf("bench -o json printed %q: %v; want one JSON object", stdout, err)
	}
	return r, stderr
}

// checkSane checks the numbers of a run that had no errors.
func checkSane(t *testing.T, r loadgen.Result, protocol string, conns, batch int) {
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
	if len(r.ErrorKinds) != len(loadgen.ErrorKinds()) {
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
		{loadgen.ProtocolLine, 4, 1},
		{loadgen.ProtocolLine, 2, 500},
		{loadgen.ProtocolHTTP, 4, 1},
		{loadgen.ProtocolHTTP, 2, 3000}, // a body larger than the read buffer
	} {
		t.Run(tc.protocol, func(t *testing.T) {
			r, _ := runBenchJSON(t, "--socket", ts.Path, "--protocol", tc.protocol,
				"--conns", itoa(tc.conns), "--batch", itoa(tc.batch), "--duration", "250ms")
			checkSane(t, r, tc.protocol, tc.conns, tc.batch)
		})
	}
}

func TestBenchTableAndProgress(t *testing.T) {
	ts := startSidecar(t, 10000)
	for _, protocol := range []string{loadgen.ProtocolLine, loadgen.ProtocolHTTP} {
		t.Run(protocol, func(t *testing.T) {
			stdout, stderr, code := runCLI(t, "bench", "--socket", ts.Path, "--protocol", protocol, "--conns", "3", "--duration", "1500ms")
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
	down.Source.SetDown("lease lost")
	for _, protocol := range []string{loadgen.ProtocolLine, loadgen.ProtocolHTTP} {
		t.Run(protocol, func(t *testing.T) {
			r, _ := runBenchJSON(t, "--socket", down.Path, "--protocol", protocol, "--conns", "2", "--duration", "250ms")
			if r.Requests != 0 || r.Errors == 0 || r.ErrorKinds["unavailable"] == 0 || r.Errors != r.ErrorKinds["unavailable"] {
				t.Errorf("requests %d, errors %d %v; want only unavailable errors", r.Requests, r.Errors, r.ErrorKinds)
			}
			if !strings.Contains(r.FirstErrors["unavailable"], "lease lost") {
				t.Errorf("first errors %v; want the server's reason", r.FirstErrors)
			}
		})
	}
	stdout := mustRunAllowingStderr(t, "bench", "--socket", down.Path, "--conns", "1", "--duration", "250ms")
	if !strings.Contains(stdout, "  unavailable") || !strings.Contains(stdout, "(first: client: unavailable: lease lost)") {
		t.Errorf("table does not break the errors down:\n%s", stdout)
	}
}

func TestBenchErrors(t *testing.T) {
	ts := startSidecar(t, 10000)
	missing := filepath.Join(sidecartest.ShortDir(t), "none.sock")
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
			wantOneLineError(t, tc.want, append([]string{"bench", "--socket", ts.Path}, tc.args...)...)
		})
	}
	for _, protocol := range []string{loadgen.ProtocolLine, loadgen.ProtocolHTTP} {
		line := wantOneLineError(t, []string{"bench: cannot reach the sidecar at " + missing, "no such file or directory"},
			"bench", "--socket", missing, "--protocol", protocol)
		if _, err := execute(t, "bench", "--socket", missing, "--protocol", protocol); !errors.Is(err, errUnreachable) {
			t.Errorf("%s: %v, want errUnreachable", line, err)
		}
	}
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

func TestBenchTag(t *testing.T) {
	ts := startSidecar(t, 10000)
	var total int64
	for _, protocol := range []string{loadgen.ProtocolLine, loadgen.ProtocolHTTP} {
		t.Run(protocol, func(t *testing.T) {
			r, _ := runBenchJSON(t, "--socket", ts.Path, "--protocol", protocol, "--tag", testserver.Tag,
				"--conns", "3", "--batch", "10", "--duration", "250ms")
			if r.Tag != testserver.Tag || r.Protocol != protocol || r.Requests <= 0 || r.IDs != r.Requests*10 {
				t.Errorf("tag %q, %s, %d requests, %d IDs; want %s, %s, requests > 0 and IDs = requests x 10",
					r.Tag, r.Protocol, r.Requests, r.IDs, testserver.Tag, protocol)
			}
			if r.Errors != 0 || r.Violations != 0 || r.LayoutCap != 0 {
				t.Errorf("errors %d %v, increase violations %d, layout cap %v; want none", r.Errors, r.FirstErrors, r.Violations, r.LayoutCap)
			}
			total += r.IDs
		})
	}
	if issued := ts.Segments.Issued(testserver.Tag); issued < total {
		t.Errorf("the server issued %d IDs of the tag, bench counted %d", issued, total)
	}
	stdout := mustRunAllowingStderr(t, "bench", "--socket", ts.Path, "--tag", testserver.Tag, "--conns", "1", "--duration", "250ms")
	if !strings.Contains(stdout, "segment tag          "+testserver.Tag+"\n") || strings.Contains(stdout, "layout's cap") {
		t.Errorf("table does not name the tag, or compares segment IDs with the layout's cap:\n%s", stdout)
	}

	r, _ := runBenchJSON(t, "--socket", ts.Path, "--tag", "nope", "--conns", "1", "--duration", "250ms")
	if r.Requests != 0 || r.Errors == 0 || r.Errors != r.ErrorKinds["notfound"] {
		t.Errorf("unknown tag: %d requests, errors %v; want only notfound", r.Requests, r.ErrorKinds)
	}
	wantOneLineError(t, []string{`bench: loadgen: bad config: tag "a/b": coord: bad segment tag: byte 1 is '/'`},
		"bench", "--socket", ts.Path, "--tag", "a/b")
}
