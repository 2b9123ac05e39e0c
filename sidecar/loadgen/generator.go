package loadgen

import (
	"context"
	"io"
	"sync"
	"sync/atomic"
	"time"
)

// Generator is a closed-loop load on one sidecar: Dial opens its
// connections, Run drives each from its own goroutine until the duration
// passes. Its methods are not safe for concurrent use.
type Generator struct {
	cfg     Config
	dialer  *dialer
	conns   []loadConn // open, until Run or Close
	batch   int
	stop    chan struct{}
	stopped atomic.Bool // set with close(stop); cheaper to poll per request
	workers []*worker
}

// Dial checks cfg and opens its connections to the sidecar, or none and
// the first error; ctx and DialTimeout bound the connects. Every
// connection's I/O fails after DialTimeout, the duration and Grace have
// passed, so that a hung server cannot hold the run up.
func Dial(ctx context.Context, cfg Config) (*Generator, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg = cfg.withDefaults()
	d := &dialer{
		path:     cfg.Path,
		protocol: cfg.Protocol,
		batch:    cfg.Batch,
		tag:      cfg.Tag,
		deadline: time.Now().Add(DialTimeout + cfg.Duration + Grace),
	}
	ctx, cancel := context.WithTimeout(ctx, DialTimeout)
	defer cancel()
	g := &Generator{cfg: cfg, dialer: d, batch: cfg.Batch, conns: make([]loadConn, 0, cfg.Conns)}
	for range cfg.Conns {
		c, err := d.dial(ctx)
		if err != nil {
			g.Close()
			return nil, err
		}
		g.conns = append(g.conns, c)
	}
	return g, nil
}

// Close closes the connections of a Generator that will not Run.
func (g *Generator) Close() {
	for _, c := range g.conns {
		c.close()
	}
	g.conns = nil
}

// Run loads the sidecar until the configured duration has passed or ctx is
// done, whichever comes first, and returns what it measured. While it runs,
// it writes one progress line a second to progress, if not nil. Failed
// requests are counted in the result, never returned; a broken connection
// is replaced. Run closes the connections; a Generator runs once.
func (g *Generator) Run(ctx context.Context, progress io.Writer) Result {
	start := time.Now()
	stopLoad := g.start(g.conns)
	g.conns = nil
	progressDone := make(chan struct{})
	var pwg sync.WaitGroup
	if progress != nil {
		pwg.Go(func() { g.progress(progress, start, progressDone) })
	}
	t := time.NewTimer(g.cfg.Duration)
	select {
	case <-t.C:
	case <-ctx.Done():
		t.Stop()
	}
	stopLoad()
	elapsed := time.Since(start)
	close(progressDone)
	pwg.Wait()
	return newResult(g, elapsed)
}
