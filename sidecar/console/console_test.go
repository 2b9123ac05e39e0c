package console

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/idcoord/idcoord"
	"github.com/idcoord/idcoord/clockguard"
	"github.com/idcoord/idcoord/coord"
	"github.com/idcoord/idcoord/coord/segment"
)

var t0 = time.Date(2026, 11, 21, 10, 0, 0, 0, time.UTC)

// fixture is a node with WorkerId 1 (admin 10.0.0.1:9100) and peers, as in
// memory: a pure unit test of what the page shows.
type fixture struct {
	clock    *clockguard.ManualClock
	status   idcoord.Status
	started  bool
	holdings []coord.Holding
	fleetErr error
	entries  []coord.SegmentEntry
}

func newFixture() *fixture {
	f := &fixture{clock: clockguard.NewManualClock(t0), started: true}
	f.status = idcoord.Status{Node: "web-0", Ready: true, WorkerID: 1, LeaseLeftSeconds: 2.5,
		HighWater: t0.Add(3 * time.Second), HighWaterAheadSeconds: 3,
		Layout: idcoord.LayoutStatus{TimeBits: 41, TimeUnit: "1ms", WorkerBits: 10, SequenceBits: 12},
		Clock: idcoord.ClockStatus{PeerOffsets: map[string]float64{"10.0.0.2:9100": 0.0002, "10.0.0.3:9100": 0.9},
			MeanOffset: 0.45, PeersAnswered: 2, PeersAsked: 2, LastPeerCheck: t0},
		Segments: []segment.TagStatus{{Tag: "orders", Step: 1000, MinStep: 1000,
			Current: segment.SegmentStatus{Start: 1000, End: 2000, Next: 1250, Used: 250},
			Next:    &segment.SegmentStatus{Start: 5000, End: 6000, Next: 5000}, IDsServed: 1250}},
	}
	report := func(age time.Duration, wid int64, admin string) *coord.Report {
		return &coord.Report{Timestamp: t0.Add(-age).UnixMilli(), WorkerID: wid, Admin: admin}
	}
	f.holdings = []coord.Holding{
		{WorkerID: 1, Node: "web-0", Admin: "10.0.0.1:9100", Live: true, LeaseLeft: 3 * time.Second, HighWater: t0.Add(3 * time.Second), LastReport: report(time.Second, 1, "10.0.0.1:9100")},
		{WorkerID: 2, Node: "web-1", Admin: "10.0.0.2:9100", Live: true, LeaseLeft: 3 * time.Second, HighWater: t0.Add(3 * time.Second), LastReport: report(time.Second, 2, "10.0.0.2:9100")},
		{WorkerID: 3, Node: "web-2", Admin: "10.0.0.3:9100", Live: true, LeaseLeft: 3 * time.Second, LastReport: report(time.Second, 3, "10.0.0.3:9100")},
		{WorkerID: 4, Node: "web-3", Admin: "10.0.0.4:9100", Live: true, LeaseLeft: 3 * time.Second, LastReport: report(time.Minute, 4, "10.0.0.4:9100")},
		{WorkerID: 5, Node: "web-4", Admin: "10.0.0.5:9100", Live: true, LeaseLeft: 0, LastReport: report(time.Second, 5, "10.0.0.5:9100")},
		{WorkerID: 6, Node: "web-5", Admin: "10.0.0.6:9100", Live: true, LeaseLeft: -1, Session: coord.SessionNone, LastReport: report(time.Second, 6, "10.0.0.6:9100")},
		{WorkerID: 7, Node: "web-6", Live: false, HighWater: t0.Add(-time.Hour), LastReport: report(time.Hour, 7, "10.0.0.7:9100")},
		{WorkerID: 8, Node: "web-7", Admin: "10.0.0.8:9100", Live: true, LeaseLeft: -1, Session: coord.SessionLive},
	}
	f.entries = []coord.SegmentEntry{
		{Tag: "orders", Record: coord.SegmentRecord{MaxID: 6000, Step: 1000, Description: "orders of the shop", UpdateTime: t0.UnixMilli()}},
		{Tag: "users", Record: coord.SegmentRecord{MaxID: 1, Step: 500}},
		{Tag: "broken", Err: errors.New("coord: bad record: segments/broken is not a segment record")},
	}
	return f
}

func (f *fixture) config() Config {
	return Config{
		Node:     func() (idcoord.Status, bool) { return f.status, f.started },
		Fleet:    func(context.Context) ([]coord.Holding, error) { return f.holdings, f.fleetErr },
		Segments: func(context.Context) ([]coord.SegmentEntry, error) { return f.entries, nil },
		MaxDrift: time.Second, Clock: f.clock, CacheFor: time.Nanosecond, RenderEvery: time.Nanosecond,
	}
}

func newConsole(t testing.TB, cfg Config) *Console {
	t.Helper()
	c, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func render(t testing.TB, c *Console) (int, http.Header, string) {
	t.Helper()
	rec := httptest.NewRecorder()
	c.ServeHTTP(rec, httptest.NewRequest("GET", "/", nil))
	b, _ := io.ReadAll(rec.Body)
	return rec.Code, rec.Header(), string(b)
}

// rowOf returns the HTML of the table row whose first cell is first.
func rowOf(t *testing.T, body, first string) string {
	t.Helper()
	i := strings.Index(body, "<td>"+first+"</td>")
	if i < 0 {
		t.Fatalf("no row starting with %q in:\n%s", first, body)
	}
	start := strings.LastIndex(body[:i], "<tr")
	end := strings.Index(body[i:], "</tr>")
	return body[start : i+end]
}

func TestFleetRowsMarked(t *testing.T) {
	f := newFixture()
	code, _, body := render(t, newConsole(t, f.config()))
	if code != 200 {
		t.Fatalf("status %d", code)
	}
	tests := []struct {
		wid      string
		problems string // "" for a row that is not marked
		free     bool
	}{
		{"1", "", false},
		{"2", "", false},
		{"3", "drift", false},
		{"4", "stale", false},
		{"5", "past lease", false},
		{"6", "past lease", false},
		{"7", "", true},
		{"8", "stale", false},
	}
	for _, tt := range tests {
		t.Run("WorkerId "+tt.wid, func(t *testing.T) {
			row := rowOf(t, body, tt.wid)
			bad := strings.Contains(row, `class="bad`)
			if bad != (tt.problems != "") {
				t.Errorf("marked %v, want %v: %s", bad, tt.problems != "", row)
			}
			if tt.problems != "" && !strings.Contains(row, `<td class="problems">`+tt.problems+`</td>`) {
				t.Errorf("row does not say %q: %s", tt.problems, row)
			}
			if tt.free != strings.Contains(row, `class="free`) {
				t.Errorf("free %v, want %v: %s", !tt.free, tt.free, row)
			}
		})
	}
	if !strings.Contains(body, "8 WorkerIds in the store, 5 marked") {
		t.Errorf("the fleet's count is missing")
	}
	if self := rowOf(t, body, "1"); !strings.Contains(self, "self") || !strings.Contains(self, "this node") {
		t.Errorf("this node's row is not marked as its own: %s", self)
	}
}

func TestNodeAndTags(t *testing.T) {
	f := newFixture()
	f.status.Layout.DatacenterBits, f.status.Layout.DatacenterID = 5, 17
	_, h, body := render(t, newConsole(t, f.config()))
	for _, want := range []string{
		`<meta http-equiv="refresh" content="5">`,
		`<div class="v" id="worker-id">1</div>`,
		`<div class="k">Datacenter</div><div class="v">17</div>`,
		"3.00 s ahead", "2.50 s", "450.0 ms", "2 of 2 peers answered",
		// orders: the store's record and this node's double buffer
		"orders of the shop", "6 000", "1 000 – 1 999", "250 of 1 000", `width="25.0"`, "5 000 – 5 999",
		// users: in the store, not loaded here; broken: a bad record
		"not loaded here", "bad record: coord: bad record: segments/broken",
		"<svg", "<polyline",
	} {
		if !strings.Contains(body, want) {
			t.Errorf("page lacks %q", want)
		}
	}
	if got := h.Get("Content-Security-Policy"); !strings.Contains(got, "default-src 'none'") {
		t.Errorf("Content-Security-Policy %q", got)
	}
	if strings.Contains(body, "<script") || strings.Contains(body, "http://") || strings.Contains(body, "https://") {
		t.Errorf("the page has a script or an external reference")
	}
	f.status.Layout.DatacenterBits = 0
	if _, _, body := render(t, newConsole(t, f.config())); strings.Contains(body, "Datacenter") {
		t.Errorf("a layout without a datacenter field shows one")
	}
}

func TestNotReadyAndStarting(t *testing.T) {
	f := newFixture()
	f.status.Ready, f.status.ReasonCode, f.status.Reason = false, idcoord.ReasonStoreUnreachable, "idcoord: not ready: store unreachable for 2s"
	_, _, body := render(t, newConsole(t, f.config()))
	if !strings.Contains(body, "not ready ("+idcoord.ReasonStoreUnreachable+")") || !strings.Contains(body, "store unreachable for 2s") {
		t.Errorf("the reason is not shown")
	}
	f.started = false
	_, _, body = render(t, newConsole(t, f.config()))
	if !strings.Contains(body, `id="node-name">starting</div>`) || !strings.Contains(body, "none yet") {
		t.Errorf("a node that has not started is not shown as starting:\n%s", body)
	}
}

// TestEscapedInMemory: node names, addresses, tags, descriptions and
// errors with markup in them are escaped. The store test does the same
// through a real store.
func TestEscapedInMemory(t *testing.T) {
	const evil = `<script>alert(1)</script>`
	f := newFixture()
	f.status.Node = evil
	f.status.Reason = evil
	f.status.ReasonCode = evil
	f.status.Clock.PeerOffsets[`"><script>x</script>`] = 0.1
	f.holdings[1].Node = evil
	f.holdings[1].Admin = `"><script>x</script>`
	f.entries[0].Record.Description = evil
	f.entries[2].Err = errors.New(evil)
	f.status.Segments[0].LastError = evil
	_, _, body := render(t, newConsole(t, f.config()))
	if strings.Contains(strings.ToLower(body), "<script") {
		t.Fatalf("markup from the sources reached the page unescaped:\n%s", body)
	}
	if n := strings.Count(body, "&lt;script&gt;alert(1)&lt;/script&gt;"); n < 5 {
		t.Errorf("escaped text shown %d times, want at least 5", n)
	}
}

func TestStoreDoesNotAnswer(t *testing.T) {
	f := newFixture()
	f.fleetErr = errors.New("coord: store unreachable: context deadline exceeded")
	c := newConsole(t, f.config())
	code, _, body := render(t, c)
	if code != 200 || !strings.Contains(body, "store did not answer: coord: store unreachable") {
		t.Fatalf("%d, the page does not say the store did not answer", code)
	}
	f.fleetErr = nil
	if _, _, body = render(t, c); strings.Contains(body, "did not answer") || !strings.Contains(body, "web-1") {
		t.Fatalf("the store answers again, and the page does not show it")
	}
	f.fleetErr = errors.New("gone again")
	if _, _, body = render(t, c); !strings.Contains(body, "store did not answer: gone again") ||
		!strings.Contains(body, "rows as read") || !strings.Contains(body, "web-1") {
		t.Fatalf("the last rows read are not kept with their age")
	}
}

// TestStoreReadBounded: a store that hangs is read with a timeout, and the
// page answers.
func TestStoreReadBounded(t *testing.T) {
	f := newFixture()
	cfg := f.config()
	cfg.StoreTimeout = 50 * time.Millisecond
	cfg.Fleet = func(ctx context.Context) ([]coord.Holding, error) {
		<-ctx.Done()
		return nil, ctx.Err()
	}
	_, _, body := render(t, newConsole(t, cfg))
	if !strings.Contains(body, "store did not answer: "+context.DeadlineExceeded.Error()) {
		t.Fatalf("a hanging store does not make its line")
	}
}

// TestStoreReadOnce: many pages at once cause one read, and a read younger
// than CacheFor serves the next pages.
func TestStoreReadOnce(t *testing.T) {
	f := newFixture()
	cfg := f.config()
	cfg.CacheFor = time.Hour
	cfg.RenderEvery = time.Nanosecond // every page renders: the store cache alone saves the reads
	var reads atomic.Int64
	release := make(chan struct{})
	cfg.Fleet = func(context.Context) ([]coord.Holding, error) {
		reads.Add(1)
		<-release
		return f.holdings, nil
	}
	c := newConsole(t, cfg)
	var wg sync.WaitGroup
	for range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, _, body := render(t, c); !strings.Contains(body, "web-1") {
				t.Error("a page without the fleet")
			}
		}()
	}
	for reads.Load() == 0 { // the first read has started
		time.Sleep(time.Millisecond)
	}
	close(release)
	wg.Wait()
	render(t, c)
	if n := reads.Load(); n != 1 {
		t.Fatalf("%d reads of the store, want 1", n)
	}
}

// TestStoreReadWaitCancelled: a page whose request goes away while another
// page's read is in flight answers at once with what it has.
func TestStoreReadWaitCancelled(t *testing.T) {
	release := make(chan struct{})
	r := newStoreRead(func(context.Context) (int, error) { <-release; return 7, nil }, time.Hour, time.Minute)
	done := make(chan readResult[int])
	go func() { done <- r.get(context.Background()) }()
	for {
		r.mu.Lock()
		inFlight := r.mu.wait != nil
		r.mu.Unlock()
		if inFlight {
			break
		}
		time.Sleep(time.Millisecond)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if got := r.get(ctx); !got.Pending || got.HasVal {
		t.Fatalf("a cancelled wait: %+v, want pending and no value", got)
	}
	close(release)
	if got := <-done; got.Val != 7 || got.Err != nil {
		t.Fatalf("the read: %+v", got)
	}
}

// TestPageShared: within RenderEvery, every screen gets the page rendered
// first; after it, a new one.
func TestPageShared(t *testing.T) {
	f := newFixture()
	cfg := f.config()
	cfg.RenderEvery = time.Hour
	c := newConsole(t, cfg)
	_, _, first := render(t, c)
	f.status.Node = "web-renamed"
	if _, _, again := render(t, c); again != first {
		t.Fatalf("a second screen within RenderEvery got another page")
	}
	c.mu.Lock()
	c.mu.at = c.mu.at.Add(-2 * time.Hour) // the page is old now
	c.mu.Unlock()
	if _, _, later := render(t, c); !strings.Contains(later, "web-renamed") {
		t.Fatalf("a page older than RenderEvery was served again")
	}
}

// TestStoreReadPanics: a read that panics wakes the pages waiting for it,
// and the next page reads again.
func TestStoreReadPanics(t *testing.T) {
	calls := 0
	r := newStoreRead(func(context.Context) (int, error) {
		calls++
		if calls == 1 {
			panic("a broken store client")
		}
		return 7, nil
	}, time.Nanosecond, time.Minute)
	func() {
		defer func() { recover() }()
		r.get(context.Background())
	}()
	if got := r.get(context.Background()); got.Val != 7 || got.Err != nil || calls != 2 {
		t.Fatalf("after a panic: %+v, %d reads", got, calls)
	}
}

func TestNotGet(t *testing.T) {
	c := newConsole(t, newFixture().config())
	rec := httptest.NewRecorder()
	c.ServeHTTP(rec, httptest.NewRequest("POST", "/", nil))
	if rec.Code != http.StatusMethodNotAllowed {
		t.Fatalf("POST: %d", rec.Code)
	}
}

func TestConfigValidate(t *testing.T) {
	node := func() (idcoord.Status, bool) { return idcoord.Status{}, false }
	tests := []struct {
		name string
		cfg  Config
		ok   bool
	}{
		{"node only", Config{Node: node}, true},
		{"defaults", func() Config { c := DefaultConfig(); c.Node = node; return c }(), true},
		{"no node", Config{}, false},
		{"negative drift", Config{Node: node, MaxDrift: -1}, false},
		{"negative render period", Config{Node: node, RenderEvery: -1}, false},
		{"sub-second refresh", Config{Node: node, Refresh: time.Millisecond}, false},
		{"too many samples", Config{Node: node, SampleEvery: time.Millisecond}, false},
		{"one sample", Config{Node: node, Window: time.Second}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.cfg.Validate()
			if (err == nil) != tt.ok || (err != nil && !errors.Is(err, ErrBadConfig)) {
				t.Fatalf("Validate() = %v, ok %v", err, tt.ok)
			}
			c, err := New(tt.cfg)
			if (err == nil) != tt.ok {
				t.Fatalf("New: %v", err)
			}
			if c != nil {
				c.Close() // New started a sampler (goleak checks it stops)
			}
		})
	}
}
