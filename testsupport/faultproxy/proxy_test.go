package faultproxy

import (
	"fmt"
	"math"
	"net"
	"strings"
	"testing"
	"time"
)

const (
	// silence is how long a read must see nothing to count a link as silent.
	silence = 200 * time.Millisecond
	// patience bounds every read that is expected to succeed.
	patience = 5 * time.Second
)

func TestForwards(t *testing.T) {
	echo := startEcho(t)
	p := New(t, echo.addr())
	c := dial(t, p.Addr())
	for i := range 10 {
		msg := fmt.Sprintf("ping %d\n", i)
		echoes(t, c, msg)
	}
	big := strings.Repeat("x", 1<<20)
	go func() { _, _ = c.Write([]byte(big)) }()
	expect(t, c, big, patience)
	if got := p.Stats().Accepted; got != 1 {
		t.Fatalf("Stats().Accepted = %d, want 1", got)
	}
}

// TestBlock runs each case against an echo server behind a new proxy.
func TestBlock(t *testing.T) {
	tests := []struct {
		name string
		run  func(t *testing.T, echo *echoServer, p *Proxy)
	}{
		{"holds bytes until Unblock", func(t *testing.T, _ *echoServer, p *Proxy) {
			c := dial(t, p.Addr())
			echoes(t, c, "before")

			p.Block()
			p.Block() // idempotent
			send(t, c, "held")
			expectSilence(t, c, silence)

			p.Unblock()
			expect(t, c, "held", patience)
			p.Unblock() // idempotent
			echoes(t, c, "after")
		}},
		{"defers new connections", func(t *testing.T, echo *echoServer, p *Proxy) {
			p.Block()
			c := dial(t, p.Addr()) // accepted by the proxy ...
			send(t, c, "hello")
			expectSilence(t, c, silence)
			if got := echo.accepted.Load(); got != 0 {
				t.Fatalf("target accepted %d connections while blocked, want 0", got)
			}
			p.Unblock() // ... and dialed upstream only now.
			expect(t, c, "hello", patience)
			if got := echo.accepted.Load(); got != 1 {
				t.Fatalf("target accepted %d connections after Unblock, want 1", got)
			}
		}},
		{"hides close", func(t *testing.T, echo *echoServer, p *Proxy) {
			c := dial(t, p.Addr())
			echoes(t, c, "x")

			p.Block()
			_ = c.Close()
			select {
			case <-echo.ended:
				t.Fatal("target saw the client's close through a blocked proxy")
			case <-time.After(silence):
			}
			p.Unblock()
			select {
			case <-echo.ended:
			case <-time.After(patience):
				t.Fatalf("target did not see the client's close %v after Unblock", patience)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			echo := startEcho(t)
			tt.run(t, echo, New(t, echo.addr()))
		})
	}
}

func TestDelay(t *testing.T) {
	tests := []struct {
		name         string
		mean, jitter time.Duration
		minRoundTrip time.Duration
	}{
		// A round trip crosses the proxy twice.
		{name: "fixed", mean: 100 * time.Millisecond, minRoundTrip: 200 * time.Millisecond},
		{name: "jitter", mean: 75 * time.Millisecond, jitter: 50 * time.Millisecond, minRoundTrip: 50 * time.Millisecond},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			echo := startEcho(t)
			p := NewWith(t, echo.addr(), Options{Seed: 7})
			p.SetDelay(tt.mean, tt.jitter)
			c := dial(t, p.Addr())
			for i := range 3 {
				msg := fmt.Sprintf("m%d", i)
				start := time.Now()
				echoes(t, c, msg)
				if rt := time.Since(start); rt < tt.minRoundTrip {
					t.Fatalf("round trip took %v with delay %v±%v; want at least %v", rt, tt.mean, tt.jitter, tt.minRoundTrip)
				}
			}
		})
	}
}

func TestDelayKeepsOrder(t *testing.T) {
	echo := startEcho(t)
	p := NewWith(t, echo.addr(), Options{Seed: 1})
	p.SetDelay(10*time.Millisecond, 9*time.Millisecond)
	c := dial(t, p.Addr())
	var want strings.Builder
	for i := range 50 {
		msg := fmt.Sprintf("<%d>", i)
		want.WriteString(msg)
		send(t, c, msg)
		time.Sleep(time.Millisecond) // separate chunks, each with its own draw
	}
	expect(t, c, want.String(), patience)
}

func TestDropRate(t *testing.T) {
	tests := []struct {
		name      string
		rate      float64
		wantBreak bool
	}{
		{name: "never", rate: 0, wantBreak: false},
		{name: "always", rate: 1, wantBreak: true},
		{name: "below zero is never", rate: -3, wantBreak: false},
		{name: "NaN is never", rate: math.NaN(), wantBreak: false},
		{name: "above one is always", rate: 9, wantBreak: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			echo := startEcho(t)
			p := New(t, echo.addr())
			p.SetDropRate(tt.rate)
			c := dial(t, p.Addr())
			send(t, c, "ping")
			if tt.wantBreak {
				expectBroken(t, c, patience)
				if got := p.Stats().Dropped; got != 1 {
					t.Fatalf("Stats().Dropped = %d, want 1", got)
				}
				return
			}
			expect(t, c, "ping", patience)
		})
	}
}

// TestDropRateSeeded checks that one seed gives the same drops for traffic in
// lock step.
func TestDropRateSeeded(t *testing.T) {
	survived := func(seed int64) int {
		echo := startEcho(t)
		p := NewWith(t, echo.addr(), Options{Seed: seed})
		p.SetDropRate(0.1)
		c := dial(t, p.Addr())
		for i := range 200 {
			send(t, c, "p")
			if _, err := readN(c, 1, patience); err != nil {
				return i
			}
		}
		return 200
	}
	for _, seed := range []int64{0, 1, 42} {
		a, b := survived(seed), survived(seed)
		if a != b {
			t.Fatalf("seed %d: %d round trips survived in one run, %d in another", seed, a, b)
		}
		if a == 200 {
			t.Fatalf("seed %d: no drop in 200 round trips at rate 0.1", seed)
		}
	}
}

func TestCloseAll(t *testing.T) {
	echo := startEcho(t)
	p := New(t, echo.addr())
	c1, c2 := dial(t, p.Addr()), dial(t, p.Addr())
	send(t, c1, "a")
	send(t, c2, "a")
	expect(t, c1, "a", patience)
	expect(t, c2, "a", patience)

	p.CloseAll()
	expectBroken(t, c1, patience)
	expectBroken(t, c2, patience)

	c3 := dial(t, p.Addr())
	echoes(t, c3, "still open")
}

func TestCloseEndsEverything(t *testing.T) {
	echo := startEcho(t)
	p := New(t, echo.addr())
	c := dial(t, p.Addr())
	p.Block() // a held link must not keep Close waiting
	send(t, c, "x")
	p.Close()
	p.Close() // idempotent
	expectBroken(t, c, patience)
	if got := p.Stats().Active; got != 0 {
		t.Fatalf("Stats().Active = %d after Close, want 0", got)
	}
}

func TestUnreachableTargetResetsClient(t *testing.T) {
	echo := startEcho(t)
	addr := echo.addr()
	_ = echo.ln.Close() // nothing listens there now
	p := NewWith(t, addr, Options{DialTimeout: time.Second})
	c, err := net.DialTimeout("tcp", p.Addr(), patience)
	if err != nil {
		return // the reset came before connect returned
	}
	defer c.Close()
	expectBroken(t, c, patience)
}

func TestOddDelays(t *testing.T) {
	echo := startEcho(t)
	p := New(t, echo.addr())
	p.SetDelay(-time.Second, -time.Second) // counts as no delay
	c := dial(t, p.Addr())
	echoes(t, c, "a")
	p.SetDelay(0, time.Duration(math.MaxInt64)) // must not panic
	p.SetDelay(0, 0)
	echoes(t, c, "b")
}
