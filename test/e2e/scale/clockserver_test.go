package scale

import (
	"context"
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"sync/atomic"
	"time"

	"github.com/idcoord/idcoord/clockguard"
)

// clockServer is one node's admin listener, cut down to what peers use:
// GET /clock answers {"unix_nano": N} as the sidecar's admin handler does,
// and counts the probes it served.
type clockServer struct {
	addr   string
	probes atomic.Int64
	srv    *http.Server
	done   chan struct{}
}

// startClockServer listens on a free loopback port and serves /clock until
// close.
func startClockServer() (*clockServer, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	c := &clockServer{addr: ln.Addr().String(), done: make(chan struct{})}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /clock", c.serveClock)
	c.srv = &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	go func() {
		defer close(c.done)
		_ = c.srv.Serve(ln) // http.ErrServerClosed after close
	}()
	return c, nil
}

func (c *clockServer) serveClock(w http.ResponseWriter, _ *http.Request) {
	c.probes.Add(1)
	body, _ := json.Marshal(clockguard.ClockReply{UnixNano: clockguard.System{}.Now().UnixNano()})
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.Write(append(body, '\n')) //nolint:errcheck // the peer sees a short answer
}

// close stops serving, drops open connections, and waits for the server's
// goroutine.
func (c *clockServer) close() error {
	err := c.srv.Shutdown(context.Background())
	if err == nil || errors.Is(err, http.ErrServerClosed) {
		err = nil
	}
	<-c.done
	return err
}
