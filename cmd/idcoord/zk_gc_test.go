package main

import (
	"bytes"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	gozk "github.com/go-zookeeper/zk"
	"go.uber.org/zap/zaptest"

	"github.com/idcoord/idcoord/coord"
	zkcoord "github.com/idcoord/idcoord/coord/zk"
	"github.com/idcoord/idcoord/testsupport/testproc"
	"github.com/idcoord/idcoord/testsupport/zktest"
)

func TestZKCommandArgs(t *testing.T) {
	wantOneLineError(t, []string{`unknown command "nope" for "idcoord zk"`}, "zk", "nope")
	if out := mustRun(t, "zk"); !strings.Contains(out, "gc") {
		t.Fatalf("idcoord zk does not list gc:\n%s", out)
	}
}

func TestZKGCRefusals(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want []string
	}{
		{"zero age", []string{"--older-than", "0s"}, []string{"zk gc: bad flag value: --older-than 0s: want more than 0"}},
		{"negative age", []string{"--older-than", "-1h"}, []string{"--older-than -1h0m0s"}},
		{"zero timeout", []string{"--timeout", "0s"}, []string{"--timeout 0s"}},
		{"unknown format", []string{"-o", "yaml"}, []string{`unknown output format -o "yaml": want one of table, json`}},
		{"bad setting", []string{"--zk.mode", "nope"}, []string{"zk.mode"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			wantOneLineError(t, tt.want, append([]string{"zk", "gc"}, tt.args...)...)
		})
	}
}

// TestZKGCServerDown: against a server that never answers, gc says what it
// waits for once the wait is longer than slowStore, and gives up with one
// line naming the servers, at --timeout when that comes before the client's
// own connect timeout (which the lease commands share).
func TestZKGCServerDown(t *testing.T) {
	const notice = "waiting for ZooKeeper [127.0.0.1:1] to answer..."
	for _, tc := range []struct {
		timeout string
		// waits says that the wait outlasts slowStore: the notice must show.
		waits bool
	}{
		{"300ms", false},
		{"2s", true},
	} {
		t.Run(tc.timeout, func(t *testing.T) {
			var out, errOut bytes.Buffer
			start := time.Now()
			code := run([]string{"zk", "gc", "--zk.servers", "127.0.0.1:1", "--timeout", tc.timeout}, &out, &errOut)
			took := time.Since(start)
			stdout, stderr := out.String(), errOut.String()
			want := "idcoord: zk gc: coord: store unreachable: no ZooKeeper session with [127.0.0.1:1] within --timeout " + tc.timeout
			lines := strings.Split(strings.TrimSuffix(stderr, "\n"), "\n")
			if code != 1 || stdout != "" || lines[len(lines)-1] != want {
				t.Fatalf("exit %d, stdout %q, stderr %q; want 1 and a last line %q", code, stdout, stderr, want)
			}
			switch {
			case len(lines) == 1 && tc.waits:
				t.Errorf("a wait of %s passed in silence: stderr %q", tc.timeout, stderr)
			case len(lines) == 2 && isSlowNotice(lines[0]) && !tc.waits && took < slowStore:
				t.Errorf("the notice showed after only %s: stderr %q", took, stderr)
			case len(lines) > 2 || (len(lines) == 2 && lines[0] != notice):
				t.Errorf("stderr %q, want at most %q before the error", stderr, notice)
			}
		})
	}
}

// TestZKGC builds a forever tree with identities of every kind (held by a
// running idcoord, released by idcoord, written by Leaf long ago, with a
// timestamp ahead, written just now) and checks that gc selects only the
// old ones without a live holder, deletes nothing without --yes, and
// deletes exactly those with it.
//
// The server and every client keep ZooKeeper's default timing: a loaded
// machine that answers a ping late must not cost a client its connection,
// since a request made while it reconnects fails at once ("could not
// connect to a server"). Waits end on a state, or on the test's deadline.
func TestZKGC(t *testing.T) {
	srv := zktest.Start(t)
	const cluster, leaf, age = "gc", "orders", 3 * time.Second
	ctx := testproc.Context(t)
	conn := gcRawZK(t, srv.Addr())
	forever := "/snowflake/" + leaf + "/forever"

	// idcoord creates the tree (with the marker that takes sequence 0).
	live := gcBackend(t, srv.Addr(), cluster, leaf, "10.0.0.9:7070")
	held, err := live.Acquire(ctx, coord.Claim{Node: "live-0", MaxWorkerID: 1023, Reserved: []int64{0}})
	if err != nil {
		t.Fatal(err)
	}
	gone := gcBackend(t, srv.Addr(), cluster, leaf, "10.0.0.8:7070")
	l, err := gone.Acquire(ctx, coord.Claim{Node: "gone-0", MaxWorkerID: 1023, Reserved: []int64{0}})
	if err != nil {
		t.Fatal(err)
	}
	if err := l.Release(ctx, time.Now()); err != nil {
		t.Fatal(err)
	}
	gone.Close()
	monthAgo := time.Now().Add(-30 * 24 * time.Hour).UnixMilli()
	leafA := gcLeafNode(t, conn, forever, "10.0.0.1:8080", monthAgo)
	leafB := gcLeafNode(t, conn, forever, "10.0.0.2:8080", monthAgo)
	gcLeafNode(t, conn, forever, "10.0.0.3:8080", time.Now().Add(time.Hour).UnixMilli()) // its clock ran ahead
	gcOutlive(t, conn, forever, age)                                                     // every znode so far is older than age
	recent := gcLeafNode(t, conn, forever, "10.0.0.4:8080", monthAgo)                    // written just now, and kept so below
	gcKeepWriting(t, conn, recent, age/10)
	stale := []string{forever + "/10.0.0.8:7070-0000000002", leafA, leafB}
	before := gcChildren(t, conn, forever)
	base := []string{"zk", "gc", "--zk.servers", srv.Addr(), "--cluster", cluster, "--zk.leaf-name", leaf}
	older := append(slices.Clone(base), "--older-than", age.String())

	out := mustRun(t, base...)
	if want := "no forever znode in " + forever + " is both without a live holder and older than 168h0m0s\n"; out != want {
		t.Fatalf("zk gc with the default age printed %q, want %q", out, want)
	}

	out = mustRun(t, older...)
	t.Logf("dry run:\n%s", out)
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	if len(lines) != len(stale)+2 || !strings.HasPrefix(lines[0], "WORKER_ID") {
		t.Fatalf("dry run printed %d lines, want a header, %d rows and a summary:\n%s", len(lines), len(stale), out)
	}
	for i, p := range stale {
		if !strings.Contains(lines[i+1], p) || !strings.Contains(lines[i+1], gcWouldDelete) {
			t.Fatalf("row %d is %q, want %s to be deleted", i+1, lines[i+1], p)
		}
	}
	if !strings.Contains(lines[len(lines)-1], "nothing was deleted: run again with --yes to delete them") {
		t.Fatalf("dry run summary %q does not say how to delete", lines[len(lines)-1])
	}
	if after := gcChildren(t, conn, forever); !slices.Equal(after, before) {
		t.Fatalf("the dry run changed the tree: %v, was %v", after, before)
	}

	rows := gcJSON(t, "run again with --yes", append(older, "-o", "json")...)
	if after := gcChildren(t, conn, forever); !slices.Equal(after, before) {
		t.Fatalf("the JSON dry run changed the tree: %v, was %v", after, before)
	}
	if paths := gcPaths(rows); !slices.Equal(paths, stale) {
		t.Fatalf("JSON dry run selected %v, want %v", paths, stale)
	}

	rows = gcJSON(t, "deleted 3 of 3", append(older, "--yes", "-o", "json")...)
	for _, r := range rows {
		if r.Action != gcDeleted || r.Error != "" {
			t.Fatalf("row %+v, want deleted", r)
		}
	}
	want := []string{"10.0.0.3:8080-0000000005", "10.0.0.4:8080-0000000006", "10.0.0.9:7070-0000000001", "idcoord.reserved-0000000000"}
	if after := gcChildren(t, conn, forever); !slices.Equal(after, want) {
		t.Fatalf("after gc --yes the tree holds %v, want %v", after, want)
	}
	if out := mustRun(t, append(older, "--yes")...); !strings.HasPrefix(out, "no forever znode") {
		t.Fatalf("a second gc --yes printed %q, want nothing selected", out)
	}

	// The live holder is undisturbed, and a deleted identity gets a new
	// WorkerId when it comes back.
	if err := held.Reserve(ctx, time.Now().Add(3*time.Second)); err != nil {
		t.Fatalf("the live holder lost its WorkerId: %v", err)
	}
	back, err := gcBackend(t, srv.Addr(), cluster, leaf, "10.0.0.8:7070").Acquire(ctx, coord.Claim{Node: "gone-0", MaxWorkerID: 1023, Reserved: []int64{0}})
	if err != nil {
		t.Fatal(err)
	}
	if back.WorkerID() != 7 {
		t.Fatalf("a deleted identity came back with WorkerId %d, want the next sequence 7", back.WorkerID())
	}
}

// TestZKGCKept makes every delete fail (the forever znode's ACL allows no
// delete): gc --yes keeps the rows, says why, and exits 1.
func TestZKGCKept(t *testing.T) {
	srv := zktest.Start(t)
	conn := gcRawZK(t, srv.Addr())
	const leaf, age = "locked", time.Second
	forever := "/snowflake/" + leaf + "/forever"
	for _, p := range []string{"/snowflake", "/snowflake/" + leaf} {
		if _, err := conn.Create(p, nil, gozk.FlagPersistent, gozk.WorldACL(gozk.PermAll)); err != nil && !errors.Is(err, gozk.ErrNodeExists) {
			t.Fatal(err)
		}
	}
	noDelete := gozk.WorldACL(gozk.PermRead | gozk.PermWrite | gozk.PermCreate)
	if _, err := conn.Create(forever, nil, gozk.FlagPersistent, noDelete); err != nil {
		t.Fatal(err)
	}
	p := gcLeafNode(t, conn, forever, "10.0.0.1:8080", time.Now().Add(-time.Hour).UnixMilli())
	gcOutlive(t, conn, forever, age)

	// No /idcoord tree at all: a fleet of Leaf processes only.
	args := []string{"zk", "gc", "--zk.servers", srv.Addr(), "--cluster", "leafonly", "--zk.leaf-name", leaf,
		"--older-than", age.String(), "--yes"}
	stdout, stderr, code := runCLI(t, args...)
	if code != 1 {
		t.Fatalf("gc --yes with a delete refused: exit %d, want 1\nstdout:\n%s\nstderr: %s", code, stdout, stderr)
	}
	if !strings.Contains(stdout, p) || !strings.Contains(stdout, gcKept) || !strings.Contains(stdout, "not authenticated") {
		t.Fatalf("stdout does not show %s kept with the reason:\n%s", p, stdout)
	}
	t.Logf("refused deletes:\n%s", stdout)
	if !strings.Contains(stdout, "deleted 0 of 1 forever znodes") {
		t.Fatalf("stdout has no summary:\n%s", stdout)
	}
	if want := "idcoord: zk gc: 1 of 1 selected forever znodes were not deleted; each row says why\n"; stderr != want {
		t.Fatalf("stderr %q, want %q", stderr, want)
	}
	if got := gcChildren(t, conn, forever); !slices.Equal(got, []string{"10.0.0.1:8080-0000000000"}) {
		t.Fatalf("the tree holds %v", got)
	}
}

// gcJSON runs gc with -o json and returns its rows, failing unless it exits
// 0 with a summary on stderr that holds summary.
func gcJSON(t *testing.T, summary string, args ...string) []gcRow {
	t.Helper()
	stdout, stderr, code := runCLI(t, args...)
	if code != 0 || !strings.Contains(stderr, summary) || strings.Count(stderr, "\n") != 1 {
		t.Fatalf("idcoord %s: exit %d, stderr %q; want 0 and one line holding %q", strings.Join(args, " "), code, stderr, summary)
	}
	return jsonLinesOf[gcRow](t, stdout)
}

func gcPaths(rows []gcRow) []string {
	paths := make([]string, 0, len(rows))
	for _, r := range rows {
		paths = append(paths, r.Path)
	}
	return paths
}

// gcBackend opens a sequential-mode backend for identity with the default
// session timeout, closed when the test ends. It waits for its session
// until the test's deadline.
func gcBackend(t *testing.T, addr, cluster, leaf, identity string) *zkcoord.Backend {
	t.Helper()
	ctx := testproc.Context(t)
	deadline, _ := ctx.Deadline()
	b, err := zkcoord.New(ctx, zkcoord.Config{Servers: []string{addr}, Cluster: cluster, LeafName: leaf, Identity: identity,
		ConnectTimeout: time.Until(deadline), Logger: zaptest.NewLogger(t).Named(identity)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	return b
}

// gcLeafNode creates a forever znode as Leaf does, with Leaf's JSON, and
// returns its path.
func gcLeafNode(t *testing.T, conn *gozk.Conn, forever, identity string, timestamp int64) string {
	t.Helper()
	var p string
	gcCall(t, conn, func() (err error) {
		p, err = conn.Create(forever+"/"+identity+"-", gcLeafData(identity, timestamp), gozk.FlagSequence, gozk.WorldACL(gozk.PermAll))
		return err
	})
	return p
}

// gcLeafData is the JSON Leaf writes into its forever znode.
func gcLeafData(identity string, timestamp int64) []byte {
	ip, port, _ := strings.Cut(identity, ":")
	return fmt.Appendf(nil, `{"ip":"%s","port":"%s","timestamp":%d}`, ip, port, timestamp)
}

// gcChildren lists the forever tree, sorted.
func gcChildren(t *testing.T, conn *gozk.Conn, forever string) []string {
	t.Helper()
	var names []string
	gcCall(t, conn, func() (err error) {
		names, _, err = conn.Children(forever)
		return err
	})
	slices.Sort(names)
	return names
}

// gcOutlive returns once every znode under dir is older than age by this
// machine's clock, which gc's --older-than counts against: the wait is
// worked out from the znodes' modification times on the server, which
// shares the clock.
func gcOutlive(t *testing.T, conn *gozk.Conn, dir string, age time.Duration) {
	t.Helper()
	var newest int64
	for _, name := range gcChildren(t, conn, dir) {
		gcCall(t, conn, func() error {
			_, st, err := conn.Get(dir + "/" + name)
			if err == nil {
				newest = max(newest, st.Mtime)
			}
			return err
		})
	}
	// Strictly older: gc selects a znode modified before now - age.
	until := time.UnixMilli(newest).Add(age + time.Millisecond)
	select {
	case <-time.After(time.Until(until)):
	case <-testproc.Context(t).Done():
		t.Fatalf("the test's deadline came before the znodes of %s were %s old", dir, age)
	}
}

// gcKeepWriting rewrites the znode at p every period until the test ends,
// so that it stays "written just now" through every gc run, however long a
// run takes on a loaded machine: gc selects by the time of the last write.
func gcKeepWriting(t *testing.T, conn *gozk.Conn, p string, period time.Duration) {
	t.Helper()
	var data []byte
	gcCall(t, conn, func() (err error) {
		data, _, err = conn.Get(p)
		return err
	})
	stop, done := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(done)
		tick := time.NewTicker(period)
		defer tick.Stop()
		for {
			select {
			case <-stop:
				return
			case <-tick.C:
				conn.Set(p, data, -1) //nolint:errcheck // a write lost to a reconnect is made up by the next
			}
		}
	}()
	t.Cleanup(func() { close(stop); <-done })
}

// gcCall runs one request of the raw client, waiting first, until the
// test's deadline, for the client to have its session. A request made
// while the client reconnects fails with ErrNoServer without being sent;
// it is sent again once the session is back.
func gcCall(t *testing.T, conn *gozk.Conn, call func() error) {
	t.Helper()
	wait := testproc.Context(t)
	for {
		for conn.State() != gozk.StateHasSession {
			select {
			case <-wait.Done():
				t.Fatalf("no ZooKeeper session (client state %s) until the test's deadline", conn.State())
			case <-time.After(10 * time.Millisecond):
			}
		}
		err := call()
		if errors.Is(err, gozk.ErrNoServer) {
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		return
	}
}

// gcRawZK opens a plain client, as Leaf would, with ZooKeeper's default
// session timeout range in mind: long enough that a late ping on a loaded
// machine does not drop the connection.
func gcRawZK(t *testing.T, addr string) *gozk.Conn { return zktest.Dial(t, addr, 10*time.Second) }
