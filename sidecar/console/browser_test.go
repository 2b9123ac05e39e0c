package console_test

import (
	"context"
	"errors"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/idcoord/idcoord"
	"github.com/idcoord/idcoord/coord/segment"
	"github.com/idcoord/idcoord/sidecar/console"
	"github.com/idcoord/idcoord/testsupport/testproc"
)

// screenshotEnv names a file the browser test also writes its screenshot
// to (the README's docs/console.png is made this way).
const screenshotEnv = "IDCOORD_CONSOLE_SCREENSHOT"

// chromiumPath finds Debian's chromium, or stops the test saying how to
// install it.
func chromiumPath(tb testing.TB) string {
	tb.Helper()
	p, err := exec.LookPath("chromium")
	if err != nil {
		tb.Fatalf("console: the chromium browser is not installed (%v); run `make deps` (apt-get install -y chromium)", err)
	}
	return p
}

// TestConsoleInBrowser starts a fleet of three nodes with a segment tag,
// draws Snowflake and segment IDs, opens the first node's console in
// headless Chromium and checks what a person would see there: the
// WorkerId, the peers' rows, the tag with its buffers, and the charts. It
// saves a screenshot in the test's temporary folder.
func TestConsoleInBrowser(t *testing.T) {
	browser := chromiumPath(t)
	f := startFleet(t, 3, func(c *console.Config) {
		c.SampleEvery, c.Window = 200*time.Millisecond, 20*time.Second
	})
	f.createTag(t, "orders", 1000, "order numbers of the shop")
	stopDrawing := f.draw(t, "orders")
	defer stopDrawing()
	// The sampler takes its samples on the wall clock: let it take a few
	// dozen while IDs are drawn.
	time.Sleep(6 * time.Second)
	testproc.Eventually(t, "web-0 is ready", func() bool { return f.nodes[0].Ready() == nil })

	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(browser), chromedp.Headless,
		chromedp.NoSandbox, chromedp.DisableGPU, chromedp.WindowSize(1400, 820), chromedp.Flag("disable-dev-shm-usage", true))
	actx, cancelAlloc := chromedp.NewExecAllocator(ctx, opts...)
	defer cancelAlloc()
	bctx, cancelBrowser := chromedp.NewContext(actx, chromedp.WithLogf(t.Logf))
	defer cancelBrowser()

	if err := chromedp.Do(bctx, chromedp.Navigate(f.url), chromedp.WaitVisible(chromedp.ID("worker-id"))); err != nil {
		t.Fatalf("browsing %s: %v", f.url, err)
	}
	read := func(a chromedp.Action[string]) string {
		t.Helper()
		v, err := chromedp.Run(bctx, a)
		if err != nil {
			t.Fatalf("reading the page: %v", err)
		}
		return v
	}
	title := read(chromedp.Title())
	workerID := read(chromedp.Text(chromedp.ID("worker-id")))
	ready := read(chromedp.Text(chromedp.ID("ready")))
	fleetText := read(chromedp.Text(chromedp.ID("fleet")))
	tagsText := read(chromedp.Text(chromedp.ID("tags")))
	lines, err := chromedp.Run(bctx, chromedp.Nodes(chromedp.CSSAll(".chart svg polyline")))
	if err != nil {
		t.Fatalf("finding the charts: %v", err)
	}
	png, err := chromedp.Run(bctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatalf("screenshot: %v", err)
	}
	shot := filepath.Join(t.TempDir(), "console.png")
	if err := os.WriteFile(shot, png, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshot: %s (%d bytes)", shot, len(png))
	if p := os.Getenv(screenshotEnv); p != "" {
		if err := os.WriteFile(p, png, 0o644); err != nil {
			t.Fatalf("%s: %v", screenshotEnv, err)
		}
	}

	st := f.nodes[0].Status()
	if title != "idcoord web-0" {
		t.Errorf("title %q", title)
	}
	if want := strconv.FormatInt(st.WorkerID, 10); strings.TrimSpace(workerID) != want {
		t.Errorf("the page shows WorkerId %q, want %s", workerID, want)
	}
	if strings.TrimSpace(ready) != "ready" {
		t.Errorf("readiness %q, want ready", ready)
	}
	for _, n := range f.nodes[1:] {
		ns := n.Status()
		row := lineWith(fleetText, ns.Node)
		if row == "" || !strings.HasPrefix(row, strconv.FormatInt(ns.WorkerID, 10)) {
			t.Errorf("no row for peer %s with WorkerId %d in the fleet table:\n%s", ns.Node, ns.WorkerID, fleetText)
		}
	}
	if !strings.Contains(tagsText, "orders") || !strings.Contains(tagsText, "order numbers of the shop") {
		t.Errorf("the tag is not shown:\n%s", tagsText)
	}
	if len(st.Segments) == 0 || !strings.Contains(tagsText, "of "+groups(st.Segments[0].Current.End-st.Segments[0].Current.Start)) {
		t.Errorf("the tag's current segment is not shown (status %+v):\n%s", st.Segments, tagsText)
	}
	if len(lines) == 0 {
		t.Errorf("no chart has a line")
	}
	if len(png) < 10_000 {
		t.Errorf("the screenshot has %d bytes", len(png))
	}
}

// lineWith returns the first line of text that contains s, trimmed.
func lineWith(text, s string) string {
	for _, l := range strings.Split(text, "\n") {
		if strings.Contains(l, s) {
			return strings.TrimSpace(l)
		}
	}
	return ""
}

// groups writes n as the console does: digits in groups of three.
func groups(n int64) string {
	s := strconv.FormatInt(n, 10)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + " " + s[i:]
	}
	return s
}

// draw draws Snowflake IDs from the first node at a rate that rises and
// falls, and segment IDs of tag from every node, until the func it returns
// is called; that func waits for the drawing to stop.
func (f *fleet) draw(t *testing.T, tag string) (stop func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	for i, n := range f.nodes {
		wg.Go(func() {
			// A node may go not ready, and a tag run dry, for a moment when
			// the store is slow to answer: it refuses then, and drawing
			// goes on.
			failed := func(err error) bool {
				if err == nil || ctx.Err() != nil || errors.Is(err, idcoord.ErrNotReady) || errors.Is(err, segment.ErrUnavailable) {
					return false
				}
				t.Error(err)
				return true
			}
			for k := 0; ctx.Err() == nil; k++ {
				batch := 1 + int(40*(1+math.Sin(float64(k)/60)))
				if i == 0 {
					ids, err := n.AppendIDs(ctx, nil, batch)
					if failed(err) {
						return
					}
					f.issued.Add(int64(len(ids)))
				}
				if _, err := n.AppendSegmentIDs(ctx, tag, nil, 1+batch/4); failed(err) {
					return
				}
				time.Sleep(10 * time.Millisecond)
			}
		})
	}
	var once sync.Once
	return func() { once.Do(func() { cancel(); wg.Wait() }) }
}
