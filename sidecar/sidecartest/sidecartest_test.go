package sidecartest_test

import (
	"bufio"
	"context"
	"errors"
	"net"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/idcoord/idcoord/coord"
	"github.com/idcoord/idcoord/sidecar"
	"github.com/idcoord/idcoord/sidecar/sidecartest"
	"github.com/idcoord/idcoord/testsupport/testproc"
)

var _ sidecar.Source = (*sidecartest.Source)(nil)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

func TestSource(t *testing.T) {
	ctx := context.Background()
	s := sidecartest.NewSource(t, 9)
	ids, err := s.AppendIDs(ctx, nil, 3)
	if err != nil || len(ids) != 3 || ids[0] >= ids[1] || ids[1] >= ids[2] {
		t.Fatalf("AppendIDs(3) = %v, %v; want 3 increasing IDs", ids, err)
	}
	if p, err := s.Layout().Decompose(ids[0]); err != nil || p.WorkerID != 9 {
		t.Fatalf("ID %d decomposes to %+v, %v; want WorkerID 9", ids[0], p, err)
	}

	s.SetDown("lease fence passed")
	if _, err := s.AppendIDs(ctx, nil, 1); err == nil || err.Error() != "lease fence passed" {
		t.Fatalf("AppendIDs while down = %v, want the reason", err)
	}
	if err := s.Ready(); err == nil || err.Error() != "lease fence passed" {
		t.Fatalf("Ready while down = %v, want the reason", err)
	}
	s.SetDown("")
	if err := s.Ready(); err != nil {
		t.Fatalf("Ready after SetDown(\"\") = %v", err)
	}
	if got := s.TakeCounts(); !slices.Equal(got, []int{3, 1}) {
		t.Fatalf("TakeCounts = %v, want [3 1]", got)
	}
	if got := s.TakeCounts(); got != nil {
		t.Fatalf("TakeCounts again = %v, want none", got)
	}
}

func TestSourceHold(t *testing.T) {
	s := sidecartest.NewSource(t, 1)
	entered, release := s.Hold()
	ctx, cancel := context.WithCancel(context.Background())
	got := make(chan error, 1)
	go func() {
		_, err := s.AppendIDs(ctx, nil, 1)
		got <- err
	}()
	<-entered
	cancel()
	if err := <-got; !errors.Is(err, context.Canceled) {
		t.Fatalf("held AppendIDs after its ctx ended = %v, want Canceled", err)
	}
	go func() {
		_, err := s.AppendIDs(context.Background(), nil, 1)
		got <- err
	}()
	<-entered
	release()
	if err := <-got; err != nil {
		t.Fatalf("AppendIDs after release = %v", err)
	}
}

// TestServeInShortDir serves a real sidecar from a Source on a socket in
// ShortDir, from a test whose name alone is too long for a socket path in
// t.TempDir().
func TestServeInShortDir(t *testing.T) {
	t.Run(strings.Repeat("long-test-name-", 8), func(t *testing.T) {
		path := filepath.Join(sidecartest.ShortDir(t), "run", "idcoord.sock")
		l, err := sidecar.Listen(path, 0)
		if err != nil {
			t.Fatalf("Listen(%s): %v", path, err)
		}
		s, err := sidecar.New(sidecar.Config{Source: sidecartest.NewSource(t, 4)})
		if err != nil {
			t.Fatal(err)
		}
		sidecartest.Serve(t, s, l)
		c, err := net.DialTimeout("unix", path, 5*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		c.SetDeadline(time.Now().Add(10 * time.Second))
		if _, err := c.Write([]byte("1\n")); err != nil {
			t.Fatal(err)
		}
		line, err := bufio.NewReader(c).ReadString('\n')
		if id, perr := strconv.ParseInt(strings.TrimSpace(line), 10, 64); err != nil || perr != nil || id <= 0 {
			t.Fatalf("answer %q, %v; want one positive ID", line, err)
		}
	})
}

func TestCheckUnique(t *testing.T) {
	tests := []struct {
		name  string
		draws [][]int64
		want  string // the failure, or "" for none
	}{
		{"unique", [][]int64{{1, 2, 5}, {3, 4}}, ""},
		{"repeated across clients", [][]int64{{1, 2}, {2, 3}}, "duplicate ID 2"},
		{"not increasing", [][]int64{{1, 3, 2}}, "client 0: ID 2 after 3"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var n int
			msg, failed := testproc.RunFatal(t, func(tb testing.TB) { n = sidecartest.CheckUnique(tb, tt.draws) })
			if msg != tt.want || failed != (tt.want != "") {
				t.Fatalf("CheckUnique failed %v with %q, want %q", failed, msg, tt.want)
			}
			if !failed && n != 5 {
				t.Fatalf("CheckUnique = %d, want 5", n)
			}
		})
	}
}

var _ sidecar.SegmentSource = (*sidecartest.Segments)(nil)

func TestSegments(t *testing.T) {
	ctx := context.Background()
	s := sidecartest.NewSegments("orders")
	ids, err := s.AppendSegmentIDs(ctx, "orders", nil, 3)
	if err != nil || !slices.Equal(ids, []int64{1, 2, 3}) {
		t.Fatalf("first 3 IDs = %v, %v; want 1 2 3", ids, err)
	}
	if ids, err = s.AppendSegmentIDs(ctx, "orders", ids, 2); err != nil || !slices.Equal(ids, []int64{1, 2, 3, 4, 5}) {
		t.Fatalf("appended 2 IDs = %v, %v; want 1..5", ids, err)
	}
	if _, err := s.AppendSegmentIDs(ctx, "users", nil, 1); !errors.Is(err, coord.ErrNoSegment) {
		t.Fatalf("unknown tag: %v, want ErrNoSegment", err)
	}
	if _, err := s.AppendSegmentIDs(ctx, "a b", nil, 1); !errors.Is(err, coord.ErrBadTag) {
		t.Fatalf("bad tag: %v, want ErrBadTag", err)
	}
	s.SetDown("store unreachable")
	if _, err := s.AppendSegmentIDs(ctx, "orders", nil, 1); err == nil || err.Error() != "store unreachable" {
		t.Fatalf("down: %v, want the reason", err)
	}
	s.SetDown("")
	s.Remove("orders")
	if _, err := s.AppendSegmentIDs(ctx, "orders", nil, 1); !errors.Is(err, coord.ErrNoSegment) || s.Issued("orders") != -1 {
		t.Fatalf("removed tag: %v, issued %d; want ErrNoSegment and -1", err, s.Issued("orders"))
	}
	s.Add("orders")
	if id, err := s.AppendSegmentIDs(ctx, "orders", nil, 1); err != nil || id[0] != 1 || s.Issued("orders") != 1 {
		t.Fatalf("re-added tag: %v, %v; want a fresh counter", id, err)
	}
}
