package sidecar

import (
	"io"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/idcoord/idcoord/testsupport/testproc"
)

// readAll reads until the server closes the connection, or 5s pass.
func (c *lineConn) readAll() (string, error) {
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	b, err := io.ReadAll(c.r)
	return string(b), err
}

func TestBadInput(t *testing.T) {
	ts := startServer(t, func(c *Config) {
		c.IdleTimeout = 200 * time.Millisecond
		c.ReadTimeout = 200 * time.Millisecond
	})
	tests := []struct {
		name string
		run  func(t *testing.T, c *lineConn)
	}{
		{"random bytes", func(t *testing.T, c *lineConn) {
			rng := rand.New(rand.NewPCG(1, 2))
			junk := make([]byte, 64<<10)
			for i := range junk {
				junk[i] = byte(rng.Uint32())
			}
			go c.Write(junk) // the server may close before reading it all
			out, _ := c.readAll()
			checkLineAnswers(t, out)
		}},
		{"random bytes after a good request", func(t *testing.T, c *lineConn) {
			parseIDs(t, c.ask("1\n"), 1)
			rng := rand.New(rand.NewPCG(3, 4))
			junk := make([]byte, 64<<10)
			for i := range junk {
				junk[i] = byte(rng.Uint32())
			}
			go c.Write(junk)
			out, _ := c.readAll()
			checkLineAnswers(t, out)
		}},
		{"1 MiB line", func(t *testing.T, c *lineConn) {
			go c.Write([]byte(strings.Repeat("1", 1<<20) + "\n"))
			out, _ := c.readAll()
			if out != "ERR BADREQUEST line longer than 160 bytes; closing\n" {
				t.Fatalf("got %.100q", out)
			}
		}},
		{"request cut off", func(t *testing.T, c *lineConn) {
			c.send("12")
			c.CloseWrite()
			if out, err := c.readAll(); out != "" || err != nil {
				t.Fatalf("got %q, %v; want the connection closed without an answer", out, err)
			}
		}},
		{"HTTP request cut off", func(t *testing.T, c *lineConn) {
			c.send("GET /id HTT")
			c.CloseWrite()
			out, _ := c.readAll()
			if strings.Contains(out, "200 OK") {
				t.Fatalf("answered a cut-off request: %q", out)
			}
		}},
		{"request started and stalled", func(t *testing.T, c *lineConn) {
			c.send("12")
			start := time.Now()
			if out, _ := c.readAll(); out != "" {
				t.Fatalf("got %q", out)
			}
			if waited := time.Since(start); waited > 3*time.Second {
				t.Fatalf("closed after %s; the read timeout is 200ms", waited)
			}
		}},
		{"silent client", func(t *testing.T, c *lineConn) {
			if out, err := c.readAll(); out != "" || err != nil {
				t.Fatalf("got %q, %v; want the idle connection closed", out, err)
			}
		}},
		{"silent after a request", func(t *testing.T, c *lineConn) {
			parseIDs(t, c.ask("1\n"), 1)
			if out, err := c.readAll(); out != "" || err != nil {
				t.Fatalf("got %q, %v; want the idle connection closed", out, err)
			}
		}},
		{"disconnect mid-response", func(t *testing.T, c *lineConn) {
			c.send("10000\n10000\n10000\n")
			c.Close()
		}},
		{"counts out of range", func(t *testing.T, c *lineConn) {
			c.send("0\n-1\nx\n10001\n")
			for _, want := range []string{"ERR BADREQUEST", "ERR BADREQUEST", "ERR BADREQUEST", "ERR TOOMANY"} {
				if got := c.line(); !strings.HasPrefix(got, want) {
					t.Fatalf("got %q, want %s", got, want)
				}
			}
		}},
		{"HTTP header too large", func(t *testing.T, c *lineConn) {
			c.send("GET /id HTTP/1.1\r\nHost: x\r\nX-Junk: " + strings.Repeat("a", 64<<10) + "\r\n\r\n")
			out, _ := c.readAll()
			if !strings.HasPrefix(out, "HTTP/1.1 431") {
				t.Fatalf("got %.80q, want 431", out)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for range 3 {
				tt.run(t, dialLine(t, ts.path))
			}
			assertServing(t, ts.path)
		})
	}
	testproc.Within(t, 5*time.Second, "all connections closed", func() bool { return metricValue(ts.metrics.connsOpen) == 0 })
}

// checkLineAnswers checks that every complete line is IDs or an ERR line.
func checkLineAnswers(t testing.TB, out string) {
	t.Helper()
	lines := strings.Split(out, "\n")
	for _, l := range lines[:len(lines)-1] {
		if !isIDLine(l) && !isErrLine(l) {
			t.Fatalf("answer %.100q is neither IDs nor an ERR line", l)
		}
	}
	if last := lines[len(lines)-1]; last != "" {
		t.Fatalf("answer cut off: %.100q", last)
	}
}

func isIDLine(l string) bool {
	if l == "" {
		return false
	}
	for _, f := range strings.Split(l, " ") {
		if f == "" || !isDigits(f) {
			return false
		}
	}
	return true
}

func isErrLine(l string) bool {
	for _, code := range []string{"UNAVAILABLE", "BADREQUEST", "TOOMANY", "NOTFOUND"} {
		if strings.HasPrefix(l, "ERR "+code+" ") {
			return true
		}
	}
	return false
}
