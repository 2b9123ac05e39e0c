package etcdtest

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/idcoord/idcoord/testsupport/testproc"
)

// healthPoll is the pause between two health probes.
const healthPoll = 50 * time.Millisecond

// WaitHealthy polls GET /health until it says "health":"true". It fails with
// ErrNotRunning if no process runs, ErrExited if the process ends meanwhile,
// or the context's error with the last answer seen.
func (s *Server) WaitHealthy(ctx context.Context) error {
	p := s.current()
	if p == nil || p.Exited() {
		return ErrNotRunning
	}
	return pollHealth(ctx, p, &http.Transport{DisableKeepAlives: true}, s.ClientURL()+"/health")
}

// pollHealth polls url through tr until etcd says it is healthy, p exits
// (ErrExited) or ctx ends (its error, with the last answer seen).
func pollHealth(ctx context.Context, p *testproc.Process, tr *http.Transport, url string) error {
	defer tr.CloseIdleConnections()
	hc := &http.Client{Transport: tr, Timeout: time.Second}
	last := "no answer yet"
	for {
		if p.Exited() {
			return fmt.Errorf("%w (%s) before %s was healthy", ErrExited, p.ExitStatus(), url)
		}
		ok, answer := probeHealth(ctx, hc, url)
		if ok {
			return nil
		}
		last = answer
		select {
		case <-ctx.Done():
			return fmt.Errorf("etcdtest: %s not healthy (last answer: %s): %w", url, last, ctx.Err())
		case <-p.Done():
		case <-time.After(healthPoll):
		}
	}
}

// probeHealth asks url once; it returns whether etcd says it is healthy and
// what it said, for error messages.
func probeHealth(ctx context.Context, hc *http.Client, url string) (bool, string) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return false, err.Error()
	}
	resp, err := hc.Do(req)
	if err != nil {
		return false, err.Error()
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 4<<10))
	if err != nil {
		return false, err.Error()
	}
	var h struct {
		Health string `json:"health"`
	}
	if err := json.Unmarshal(body, &h); err != nil {
		return false, fmt.Sprintf("HTTP %d %q", resp.StatusCode, body)
	}
	return h.Health == "true", fmt.Sprintf("HTTP %d %s", resp.StatusCode, body)
}
