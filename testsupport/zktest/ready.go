package zktest

import (
	"context"
	"fmt"
	"io"
	"net"
	"strings"
	"time"
)

const (
	// readyPoll is the pause between two readiness probes.
	readyPoll = 50 * time.Millisecond
	// probeTimeout bounds one four-letter-word exchange.
	probeTimeout = time.Second
)

// WaitReady polls the server until it answers "imok" to ruok and srvr
// reports a mode, which means it has loaded its data and serves clients
// (ruok alone answers as soon as the port is open). It fails with
// ErrNotRunning if no process runs, ErrExited if the process ends meanwhile,
// or the context's error with the last answer seen.
func (s *Server) WaitReady(ctx context.Context) error {
	p := s.current()
	if p == nil || p.Exited() {
		return ErrNotRunning
	}
	last := "no answer yet"
	for {
		if p.Exited() {
			return fmt.Errorf("%w (%s) before %s served", ErrExited, p.ExitStatus(), s.Addr())
		}
		ok, answer := s.probe(ctx)
		if ok {
			return nil
		}
		last = answer
		select {
		case <-ctx.Done():
			return fmt.Errorf("zktest: %s not serving (last answer: %s): %w", s.Addr(), last, ctx.Err())
		case <-p.Done():
		case <-time.After(readyPoll):
		}
	}
}

// probe asks ruok then srvr; it returns whether the server serves and what it
// said, for error messages.
func (s *Server) probe(ctx context.Context) (bool, string) {
	ruok, err := fourLetterWord(ctx, s.Addr(), "ruok")
	if err != nil {
		return false, "ruok: " + err.Error()
	}
	if ruok != "imok" {
		return false, fmt.Sprintf("ruok: %q", ruok)
	}
	srvr, err := fourLetterWord(ctx, s.Addr(), "srvr")
	if err != nil {
		return false, "srvr: " + err.Error()
	}
	if !strings.Contains(srvr, "Mode: ") {
		return false, fmt.Sprintf("srvr: %q", strings.TrimSpace(srvr))
	}
	return true, ""
}

// fourLetterWord sends one of ZooKeeper's four-letter commands and returns the
// whole answer; the server closes the connection after it.
func fourLetterWord(ctx context.Context, addr, cmd string) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, probeTimeout)
	defer cancel()
	var d net.Dialer
	c, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return "", err
	}
	defer c.Close()
	if dl, ok := ctx.Deadline(); ok {
		_ = c.SetDeadline(dl)
	}
	if _, err := io.WriteString(c, cmd); err != nil {
		return "", err
	}
	b, err := io.ReadAll(io.LimitReader(c, 64<<10))
	if err != nil {
		return string(b), err
	}
	return string(b), nil
}
