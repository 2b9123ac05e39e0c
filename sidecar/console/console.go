package console

import (
	"bytes"
	"context"
	"embed"
	"errors"
	"fmt"
	"html/template"
	"net/http"
	"sync"
	"time"

	"go.uber.org/zap"

	"github.com/idcoord/idcoord"
	"github.com/idcoord/idcoord/clockguard"
	"github.com/idcoord/idcoord/coord"
)

// ErrBadConfig: a Config that Validate refuses.
var ErrBadConfig = errors.New("console: bad config")

// Defaults of Config's zero fields.
const (
	DefaultRefresh      = 5 * time.Second
	DefaultRenderEvery  = time.Second
	DefaultCacheFor     = 5 * time.Second
	DefaultStoreTimeout = 2 * time.Second
	DefaultSampleEvery  = 5 * time.Second
	DefaultWindow       = 10 * time.Minute
	// DefaultStaleAfter is three clock reports at idcoord's default period.
	DefaultStaleAfter = 3 * idcoord.DefaultReportEvery
	// maxSamples bounds the history, whatever Window / SampleEvery is.
	maxSamples = 1440
)

// Config configures a Console. Zero fields take the documented defaults.
// The sources are called from the page's handler and the sampler, possibly
// at once: they must be safe for concurrent use.
type Config struct {
	// Node returns this node's status, and false while it has not started
	// (the page then says "starting"). Required.
	Node func() (idcoord.Status, bool)
	// Fleet lists the holders as the store sees them
	// (coord.Inspector.Holdings). Nil: no fleet section.
	Fleet func(ctx context.Context) ([]coord.Holding, error)
	// Segments lists the store's segment tags
	// (coord.SegmentStore.ListSegments). Nil: the tags this node has loaded
	// only.
	Segments func(ctx context.Context) ([]coord.SegmentEntry, error)
	// IDsIssued returns how many IDs this node has sent to its clients
	// since it started, a counter; the IDs/s chart is its rate. Nil: no
	// IDs/s chart.
	IDsIssued func() float64
	// MaxDrift is clock.max-drift: a peer offset at 80% of it marks the
	// row. Zero means idcoord.DefaultMaxDrift.
	MaxDrift time.Duration
	// StaleAfter is the age past which a live holder's last clock report
	// marks its row. Zero means DefaultStaleAfter.
	StaleAfter time.Duration
	// Refresh is the page's self-refresh period (whole seconds). Zero means
	// DefaultRefresh.
	Refresh time.Duration
	// RenderEvery is how long one rendered page serves every screen that
	// asks for it: however many screens have the page open, it is rendered
	// at most once per RenderEvery. Zero means DefaultRenderEvery.
	RenderEvery time.Duration
	// CacheFor is how long one read of the store serves every page. Zero
	// means DefaultCacheFor.
	CacheFor time.Duration
	// StoreTimeout bounds each read of the store. Zero means
	// DefaultStoreTimeout.
	StoreTimeout time.Duration
	// SampleEvery is the period of the charts' samples, Window how far
	// back they reach. Zero means DefaultSampleEvery, DefaultWindow.
	SampleEvery time.Duration
	Window      time.Duration
	// Clock is the wall clock that ages the reports. Nil means
	// clockguard.System{}.
	Clock clockguard.WallClock
	// Logger receives the store's errors and render failures. Nil means no
	// logging.
	Logger *zap.Logger
}

// DefaultConfig returns a Config with every default filled in and no
// sources.
func DefaultConfig() Config {
	return Config{MaxDrift: idcoord.DefaultMaxDrift, StaleAfter: DefaultStaleAfter, Refresh: DefaultRefresh,
		RenderEvery: DefaultRenderEvery, CacheFor: DefaultCacheFor, StoreTimeout: DefaultStoreTimeout, SampleEvery: DefaultSampleEvery,
		Window: DefaultWindow, Clock: clockguard.System{}, Logger: zap.NewNop()}
}

// Validate reports a missing Node source, a negative duration, a refresh
// under a second, or a window of more than maxSamples samples.
func (c Config) Validate() error {
	switch {
	case c.Node == nil:
		return fmt.Errorf("%w: Node is nil", ErrBadConfig)
	case c.MaxDrift < 0 || c.StaleAfter < 0 || c.Refresh < 0 || c.RenderEvery < 0 || c.CacheFor < 0 || c.StoreTimeout < 0 ||
		c.SampleEvery < 0 || c.Window < 0:
		return fmt.Errorf("%w: a negative duration", ErrBadConfig)
	case c.Refresh != 0 && c.Refresh < time.Second:
		return fmt.Errorf("%w: Refresh %s is under 1s", ErrBadConfig, c.Refresh)
	}
	d := c.withDefaults()
	if n := d.Window / d.SampleEvery; n < 2 || n > maxSamples {
		return fmt.Errorf("%w: Window %s / SampleEvery %s is %d samples; it must be 2..%d", ErrBadConfig, d.Window, d.SampleEvery, n, maxSamples)
	}
	return nil
}

func (c Config) withDefaults() Config {
	d := DefaultConfig()
	for _, f := range []struct{ v, def *time.Duration }{
		{&c.MaxDrift, &d.MaxDrift}, {&c.StaleAfter, &d.StaleAfter}, {&c.Refresh, &d.Refresh}, {&c.RenderEvery, &d.RenderEvery},
		{&c.CacheFor, &d.CacheFor}, {&c.StoreTimeout, &d.StoreTimeout}, {&c.SampleEvery, &d.SampleEvery},
		{&c.Window, &d.Window},
	} {
		if *f.v == 0 {
			*f.v = *f.def
		}
	}
	if c.Clock == nil {
		c.Clock = d.Clock
	}
	if c.Logger == nil {
		c.Logger = d.Logger
	}
	return c
}

//go:embed page.html.tmpl
var files embed.FS

// page is parsed once: a template that does not parse is a build error
// caught by every test.
var pageTemplate = template.Must(template.New("page.html.tmpl").ParseFS(files, "page.html.tmpl"))

// csp lets the page use its own inline CSS and nothing else: no script, no
// other origin, no frame around it.
const csp = "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"

// Console serves the page. It is an http.Handler, safe for concurrent use;
// Close stops its sampler.
type Console struct {
	cfg      Config
	fleet    *storeRead[[]coord.Holding]
	segments *storeRead[[]coord.SegmentEntry]
	hist     *history
	stop     chan struct{}
	done     chan struct{}
	once     sync.Once

	// mu serializes renders and keeps the last page: one render at a
	// time, one page held.
	mu struct {
		sync.Mutex
		page []byte
		at   time.Time // monotonic: when page was rendered
	}
}

// New validates cfg, takes the first sample and starts the sampler; Close
// stops it. Errors wrap ErrBadConfig.
func New(cfg Config) (*Console, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg = cfg.withDefaults()
	c := &Console{cfg: cfg, hist: newHistory(int(cfg.Window / cfg.SampleEvery)),
		stop: make(chan struct{}), done: make(chan struct{})}
	if cfg.Fleet != nil {
		c.fleet = newStoreRead(cfg.Fleet, cfg.CacheFor, cfg.StoreTimeout)
	}
	if cfg.Segments != nil {
		c.segments = newStoreRead(cfg.Segments, cfg.CacheFor, cfg.StoreTimeout)
	}
	c.sample()
	go c.run()
	return c, nil
}

// Close stops the sampler and waits for it. The page keeps answering, with
// the history it has. Close may be called more than once.
func (c *Console) Close() error {
	c.once.Do(func() { close(c.stop) })
	<-c.done
	return nil
}

func (c *Console) run() {
	defer close(c.done)
	t := time.NewTicker(c.cfg.SampleEvery)
	defer t.Stop()
	for {
		select {
		case <-c.stop:
			return
		case <-t.C:
			c.sample()
		}
	}
}

// sample adds one point to the history: the IDs counter and this node's
// mean offset from its peers.
func (c *Console) sample() {
	var s sample
	s.At = c.cfg.Clock.Now()
	if c.cfg.IDsIssued != nil {
		s.Count, s.HasCount = c.cfg.IDsIssued(), true
	}
	if st, ok := c.cfg.Node(); ok && st.Clock.PeersAnswered > 0 {
		s.Offset, s.HasOffset = st.Clock.MeanOffset, true
	}
	c.hist.add(s)
}

// ServeHTTP answers with the page: the one rendered last when it is younger
// than RenderEvery, else a new one. A render that fails answers 500 and is
// logged; a store that does not answer is a line on the page.
func (c *Console) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	body, err := c.page(r.Context())
	if err != nil {
		c.cfg.Logger.Error("rendering the console", zap.Error(err))
		http.Error(w, "console: rendering the page failed; see the log", http.StatusInternalServerError)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Security-Policy", csp)
	w.Write(body)
}

// page returns the last page rendered if it is younger than RenderEvery,
// else renders one. The bytes returned are never written to again.
func (c *Console) page(ctx context.Context) ([]byte, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.mu.page != nil && time.Since(c.mu.at) < c.cfg.RenderEvery {
		return c.mu.page, nil
	}
	b, err := c.render(ctx, len(c.mu.page))
	if err != nil {
		return nil, err
	}
	c.mu.page, c.mu.at = b, time.Now()
	return b, nil
}

// render reads the sources and renders the page, into a buffer of about
// sizeHint bytes.
func (c *Console) render(ctx context.Context, sizeHint int) ([]byte, error) {
	var buf bytes.Buffer
	buf.Grow(sizeHint + sizeHint/8)
	if err := pageTemplate.Execute(&buf, c.build(ctx)); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}
