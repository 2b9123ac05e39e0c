package faultproxy

import (
	"math"
	"time"
)

// maxJitter keeps the random draw in range; no test needs more.
const maxJitter = time.Duration(math.MaxInt64 / 4)

// Block stops forwarding in both directions without closing any connection:
// bytes read from either side are held, new connections are accepted but not
// dialed upstream, and a side that closes is not reported to the other. The
// peers see a silent network. Blocking a blocked Proxy does nothing.
func (p *Proxy) Block() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.mu.unblocked == nil {
		p.mu.unblocked = make(chan struct{})
	}
}

// Unblock resumes forwarding; bytes held while blocked are delivered first, in
// order. Unblocking a Proxy that is not blocked does nothing.
func (p *Proxy) Unblock() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.mu.unblocked != nil {
		close(p.mu.unblocked)
		p.mu.unblocked = nil
	}
}

// SetDelay delays each chunk read from either side by mean plus a uniform
// jitter in [-jitter, +jitter], never below zero. Order within a direction is
// kept: a chunk waits for the one before it. It applies to chunks read after
// the call. Negative arguments count as zero; SetDelay(0, 0) turns delay off.
// Delays for links to real servers are short (milliseconds to seconds); a
// jitter beyond about 73 years is cut to that.
func (p *Proxy) SetDelay(mean, jitter time.Duration) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.mu.delayMean = max(mean, 0)
	p.mu.delayJitter = min(max(jitter, 0), maxJitter)
}

// SetDropRate resets a connection with probability rate for each chunk read
// from it, in either direction. Loss is emulated as a reset because TCP cannot
// lose bytes silently without corrupting the stream. Rates are clamped to
// [0, 1]; NaN counts as 0.
func (p *Proxy) SetDropRate(rate float64) {
	if math.IsNaN(rate) {
		rate = 0
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.mu.dropRate = min(max(rate, 0), 1)
}

// CloseAll resets every connection open now (the peers see ECONNRESET or EOF).
// New connections are still accepted.
func (p *Proxy) CloseAll() {
	p.mu.Lock()
	links := make([]*link, 0, len(p.mu.links))
	for l := range p.mu.links {
		links = append(links, l)
	}
	p.mu.Unlock()
	for _, l := range links {
		l.stop(true)
	}
}

// waitOpen waits while the Proxy is blocked. It returns false if done is
// closed first.
func (p *Proxy) waitOpen(done <-chan struct{}) bool {
	for {
		p.mu.Lock()
		ch := p.mu.unblocked
		p.mu.Unlock()
		if ch == nil {
			return true
		}
		select {
		case <-ch:
		case <-done:
			return false
		}
	}
}

// release returns when a chunk read now may be written: now plus the delay,
// but not before prev, the release time of the chunk ahead of it.
func (p *Proxy) release(prev time.Time) time.Time {
	p.mu.Lock()
	d := p.mu.delayMean
	if j := p.mu.delayJitter; j > 0 {
		d += time.Duration(p.mu.rng.Int64N(2*int64(j)+1)) - j
	}
	p.mu.Unlock()
	t := time.Now().Add(max(d, 0))
	if t.Before(prev) {
		return prev
	}
	return t
}

// drop reports whether the connection a chunk was read from must be reset,
// and counts it if so.
func (p *Proxy) drop() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	rate := p.mu.dropRate
	if rate <= 0 {
		return false
	}
	if rate < 1 && p.mu.rng.Float64() >= rate {
		return false
	}
	p.mu.stats.Dropped++
	return true
}
