package faultproxy

import (
	"errors"
	"math/rand/v2"
	"net"
	"sync"
	"testing"
	"time"
)

// defaultDialTimeout bounds the dial to the target when Options.DialTimeout is zero.
const defaultDialTimeout = 5 * time.Second

// Options tunes a Proxy. The zero value means the documented defaults.
type Options struct {
	// Seed seeds the random source behind jitter and drops. Every value,
	// zero included, is a valid seed; the same seed gives the same sequence
	// of random draws.
	Seed int64
	// DialTimeout bounds the dial to the target for each accepted
	// connection; a failed dial resets the client's connection. Zero means
	// 5s. Negative is an error.
	DialTimeout time.Duration
}

// Stats counts what a Proxy has done since New.
type Stats struct {
	// Accepted is the number of client connections accepted.
	Accepted int
	// Active is the number of client connections open now.
	Active int
	// Dropped is the number of connections reset by the drop rate.
	Dropped int
}

// Proxy forwards TCP connections from a loopback listener to one target and
// injects faults on the way. All methods are safe for concurrent use.
type Proxy struct {
	target      string
	ln          net.Listener
	dialTimeout time.Duration
	closed      chan struct{}
	closeOnce   sync.Once
	wg          sync.WaitGroup // the accept loop and every link

	mu struct {
		sync.Mutex
		unblocked   chan struct{} // nil while forwarding; closed by Unblock
		delayMean   time.Duration
		delayJitter time.Duration
		dropRate    float64
		rng         *rand.Rand
		links       map[*link]struct{}
		closed      bool
		stats       Stats
	}
}

// New starts a Proxy on 127.0.0.1 on a free port that forwards to target
// ("host:port"), with default Options. It stops the test with tb.Fatalf if it
// cannot listen, and closes the Proxy through tb.Cleanup.
func New(tb testing.TB, target string) *Proxy {
	tb.Helper()
	return NewWith(tb, target, Options{})
}

// NewWith is New with explicit Options.
func NewWith(tb testing.TB, target string, opts Options) *Proxy {
	tb.Helper()
	if opts.DialTimeout < 0 {
		tb.Fatalf("faultproxy: DialTimeout is %v; it must be zero (default %v) or positive", opts.DialTimeout, defaultDialTimeout)
	}
	if _, _, err := net.SplitHostPort(target); err != nil {
		tb.Fatalf("faultproxy: target %q is not host:port: %v", target, err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatalf("faultproxy: listen on 127.0.0.1:0: %v", err)
	}
	p := &Proxy{
		target:      target,
		ln:          ln,
		dialTimeout: opts.DialTimeout,
		closed:      make(chan struct{}),
	}
	if p.dialTimeout == 0 {
		p.dialTimeout = defaultDialTimeout
	}
	p.mu.rng = rand.New(rand.NewPCG(uint64(opts.Seed), 0x9e3779b97f4a7c15))
	p.mu.links = make(map[*link]struct{})
	p.wg.Add(1)
	go p.acceptLoop()
	tb.Cleanup(p.Close)
	return p
}

// Addr returns the address clients dial instead of the target, "127.0.0.1:P".
func (p *Proxy) Addr() string { return p.ln.Addr().String() }

// Target returns the address the Proxy forwards to.
func (p *Proxy) Target() string { return p.target }

// Stats returns the counters so far.
func (p *Proxy) Stats() Stats {
	p.mu.Lock()
	defer p.mu.Unlock()
	s := p.mu.stats
	s.Active = len(p.mu.links)
	return s
}

// Close stops listening, resets every connection and waits for the Proxy's
// goroutines to end. It is idempotent; tb.Cleanup calls it.
func (p *Proxy) Close() {
	p.closeOnce.Do(func() {
		p.mu.Lock()
		p.mu.closed = true
		p.mu.Unlock()
		close(p.closed)
		_ = p.ln.Close()
		p.CloseAll()
		p.wg.Wait()
	})
}

func (p *Proxy) acceptLoop() {
	defer p.wg.Done()
	for {
		c, err := p.ln.Accept()
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			// A transient failure such as running out of file descriptors:
			// back off instead of spinning.
			select {
			case <-p.closed:
				return
			case <-time.After(10 * time.Millisecond):
			}
			continue
		}
		l := newLink(p, c)
		if !p.addLink(l) {
			resetConn(c)
			continue
		}
		p.wg.Add(1)
		go l.run()
	}
}

func (p *Proxy) addLink(l *link) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.mu.closed {
		return false
	}
	p.mu.links[l] = struct{}{}
	p.mu.stats.Accepted++
	return true
}

func (p *Proxy) removeLink(l *link) {
	p.mu.Lock()
	defer p.mu.Unlock()
	delete(p.mu.links, l)
}
