package main

import (
	"errors"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/idcoord/idcoord/sidecar/client"
	"github.com/idcoord/idcoord/sidecar/sidecartest"
	"github.com/idcoord/idcoord/sidecar/testserver"
	"github.com/idcoord/idcoord/snowflake"
)

// parseOutputIDs parses next's output: n decimal IDs, one per line, each
// above the previous and stamped with the test WorkerId.
func parseOutputIDs(t *testing.T, out string, n int) []int64 {
	t.Helper()
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	if len(lines) != n || !strings.HasSuffix(out, "\n") {
		t.Fatalf("got %d lines, want %d: %.80q", len(lines), n, out)
	}
	l := snowflake.Twitter()
	ids := make([]int64, n)
	for i, line := range lines {
		id, err := strconv.ParseInt(line, 10, 64)
		if err != nil || strconv.FormatInt(id, 10) != line {
			t.Fatalf("line %d is %q, not a decimal ID", i, line)
		}
		if i > 0 && id <= ids[i-1] {
			t.Fatalf("line %d: %d does not increase on %d", i, id, ids[i-1])
		}
		if p, err := l.Decompose(id); err != nil || p.WorkerID != testserver.WorkerID {
			t.Fatalf("line %d: %d decomposes to %+v, %v; want WorkerId %d", i, id, p, err, testserver.WorkerID)
		}
		ids[i] = id
	}
	return ids
}

func TestNext(t *testing.T) {
	ts := startSidecar(t, 10000)
	for _, tc := range []struct {
		name string
		args []string
		n    int
	}{
		{"line default count", nil, 1},
		{"line one", []string{"-n", "1"}, 1},
		{"line 25000 in three batches", []string{"-n", "25000", "--max-batch", "10000"}, 25000},
		{"line exactly max-batch", []string{"--count", "10000"}, 10000},
		{"http default count", []string{"--http"}, 1},
		{"http one", []string{"--http", "-n", "1"}, 1},
		{"http two", []string{"--http", "-n", "2"}, 2},
		{"http 25000 in three batches", []string{"--http", "-n", "25000", "--max-batch", "10000"}, 25000},
		{"small max-batch", []string{"-n", "7", "--max-batch", "2"}, 7},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out := mustRun(t, append([]string{"next", "--socket", ts.Path}, tc.args...)...)
			parseOutputIDs(t, out, tc.n)
		})
	}
}

func TestNextSocketFromEnv(t *testing.T) {
	ts := startSidecar(t, 10000)
	t.Setenv("IDCOORD_SOCKET", ts.Path)
	parseOutputIDs(t, mustRun(t, "next", "-n", "3"), 3)
}

func TestNextErrors(t *testing.T) {
	ts := startSidecar(t, 10000)
	small := startSidecar(t, 100)
	down := startSidecar(t, 10000)
	down.Source.SetDown("clock stepped back 2s")
	missing := filepath.Join(sidecartest.ShortDir(t), "none.sock")
	for _, tc := range []struct {
		name string
		args []string
		want []string
	}{
		{"zero", []string{"--socket", ts.Path, "-n", "0"}, []string{"next: bad flag value: -n 0: want 1 to 10000000 IDs"}},
		{"negative", []string{"--socket", ts.Path, "-n", "-3"}, []string{"-n -3: want 1 to 10000000"}},
		{"too many", []string{"--socket", ts.Path, "-n", "10000001"}, []string{"-n 10000001: want 1 to 10000000"}},
		{"not a number", []string{"--socket", ts.Path, "-n", "abc"}, []string{`invalid argument "abc"`}},
		{"zero timeout", []string{"--socket", ts.Path, "--timeout", "0s"}, []string{"--timeout 0s: want more than 0"}},
		{"extra argument", []string{"--socket", ts.Path, "5"}, []string{`unknown command "5"`}},
		{"missing socket", []string{"--socket", missing},
			[]string{"cannot reach the sidecar at " + missing, "no such file or directory", "--socket sets the path"}},
		{"missing socket http", []string{"--socket", missing, "--http"},
			[]string{"cannot reach the sidecar at " + missing, "no such file or directory"}},
		{"unavailable", []string{"--socket", down.Path},
			[]string{"next: asking " + down.Path + " for 1 IDs", "unavailable: clock stepped back 2s"}},
		{"unavailable http", []string{"--socket", down.Path, "--http", "-n", "5"},
			[]string{"for 5 IDs", "unavailable: clock stepped back 2s"}},
		{"above the server's max-batch", []string{"--socket", small.Path, "-n", "500", "--max-batch", "200"},
			[]string{"for 200 IDs (0 of 500 received)", "too many IDs asked for: count 200 exceeds max-batch 100"}},
		{"above the server's max-batch http", []string{"--socket", small.Path, "-n", "500", "--max-batch", "200", "--http"},
			[]string{"too many IDs asked for", "exceeds max-batch 100"}},
		{"bad config", []string{"--socket", ts.Path, "--max-batch", "0"}, []string{"max-batch"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			wantOneLineError(t, tc.want, append([]string{"next"}, tc.args...)...)
		})
	}
}

func TestNextErrorsWrapSentinels(t *testing.T) {
	down := startSidecar(t, 10000)
	down.Source.SetDown("not ready")
	missing := filepath.Join(sidecartest.ShortDir(t), "none.sock")
	for _, tc := range []struct {
		args []string
		want error
	}{
		{[]string{"next", "-n", "0"}, errBadFlag},
		{[]string{"next", "--socket", missing}, errUnreachable},
		{[]string{"next", "--socket", missing, "--http"}, errUnreachable},
		{[]string{"next", "--socket", down.Path}, client.ErrUnavailable},
		{[]string{"next", "--socket", down.Path, "--http"}, client.ErrUnavailable},
	} {
		if _, err := execute(t, tc.args...); !errors.Is(err, tc.want) {
			t.Errorf("%s: %v, want %v", strings.Join(tc.args, " "), err, tc.want)
		}
	}
}
