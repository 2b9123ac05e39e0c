package sidecar

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/idcoord/idcoord/clockguard"
	"github.com/idcoord/idcoord/sidecar/sidecartest"
)

func TestAdmin(t *testing.T) {
	ts := startServer(t, nil)
	c := dialLine(t, ts.path)
	parseIDs(t, c.ask("3\n"), 3)
	c.ask("0\n")
	clock := clockguard.NewManualClock(time.Unix(1700000000, 123456789))
	h, err := NewAdmin(AdminConfig{Source: ts.src, Status: ts.src.Status, Registry: ts.reg, Clock: clock})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	defer srv.Close()
	defer srv.Client().Transport.(*http.Transport).CloseIdleConnections()

	fetch := func(t *testing.T, method, path string) (int, string) {
		t.Helper()
		req, _ := http.NewRequest(method, srv.URL+path, nil)
		resp, err := srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	tests := []struct {
		name, method, path string
		down               string
		wantCode           int
		wantBody           []string // substrings
	}{
		{"metrics", "GET", "/metrics", "", 200, []string{
			`idcoord_sidecar_requests_total{protocol="line",result="ok"} 1`,
			`idcoord_sidecar_requests_total{protocol="line",result="badrequest"} 1`,
			`idcoord_sidecar_ids_issued_total 3`,
			`idcoord_sidecar_connections_open 1`,
			`idcoord_sidecar_connections_refused_total{reason="limit"} 0`,
		}},
		{"healthz", "GET", "/healthz", "", 200, []string{"ok\n"}},
		{"healthz while unsafe", "GET", "/healthz", "store unreachable", 200, []string{"ok\n"}},
		{"readyz", "GET", "/readyz", "", 200, []string{`{"ready":true}`}},
		{"readyz while unsafe", "GET", "/readyz", "store unreachable", 503, []string{`{"ready":false,"reason":"store unreachable"}`}},
		{"clock", "GET", "/clock", "", 200, []string{`{"unix_nano":1700000000123456789}`}},
		{"status", "GET", "/status", "", 200, []string{`"worker_id":7`}},
		{"unknown", "GET", "/nope", "", 404, nil},
		{"POST", "POST", "/readyz", "", 405, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ts.src.SetDown(tt.down)
			defer ts.src.SetDown("")
			code, body := fetch(t, tt.method, tt.path)
			if code != tt.wantCode {
				t.Fatalf("status %d, want %d: %s", code, tt.wantCode, body)
			}
			for _, want := range tt.wantBody {
				if !strings.Contains(body, want) {
					t.Errorf("body lacks %q:\n%s", want, body)
				}
			}
		})
	}
	t.Run("clock follows the clock", func(t *testing.T) {
		clock.Advance(time.Second)
		_, body := fetch(t, "GET", "/clock")
		var v struct {
			UnixNano int64 `json:"unix_nano"`
		}
		if err := json.Unmarshal([]byte(body), &v); err != nil || v.UnixNano != 1700000001123456789 {
			t.Fatalf("got %s (%v)", body, err)
		}
	})
}

func TestStatusOptional(t *testing.T) {
	ts := startServer(t, func(c *Config) { c.Status = nil })
	if code, _, body := get(t, httpClient(t, ts.path), "GET", "http://idcoord/status", ""); code != 404 {
		t.Fatalf("socket /status without Status: %d %s", code, body)
	}
	h, err := NewAdmin(AdminConfig{Source: ts.src})
	if err != nil {
		t.Fatal(err)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/status", nil))
	if rec.Code != 404 {
		t.Fatalf("admin /status without Status: %d", rec.Code)
	}
}

// TestAdminConsole: "/" and "/console" serve the Console handler when one is
// set, and nothing else does; without one, "/" answers 404.
func TestAdminConsole(t *testing.T) {
	src := &sidecartest.Source{}
	console := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "console at "+r.URL.Path) })
	tests := []struct {
		name     string
		console  http.Handler
		path     string
		wantCode int
		wantBody string
	}{
		{"root", console, "/", 200, "console at /"},
		{"console", console, "/console", 200, "console at /console"},
		{"below root", console, "/nope", 404, ""},
		{"healthz kept", console, "/healthz", 200, "ok\n"},
		{"no console", nil, "/", 404, ""},
		{"no console, /console", nil, "/console", 404, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, err := NewAdmin(AdminConfig{Source: src, Console: tt.console})
			if err != nil {
				t.Fatal(err)
			}
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, httptest.NewRequest("GET", tt.path, nil))
			if rec.Code != tt.wantCode || (tt.wantBody != "" && rec.Body.String() != tt.wantBody) {
				t.Fatalf("GET %s: %d %q, want %d %q", tt.path, rec.Code, rec.Body.String(), tt.wantCode, tt.wantBody)
			}
		})
	}
}

func TestNewAdminNeedsSource(t *testing.T) {
	if _, err := NewAdmin(AdminConfig{}); !errors.Is(err, ErrBadConfig) {
		t.Fatalf("got %v, want ErrBadConfig", err)
	}
}

func TestConfigValidate(t *testing.T) {
	src := &sidecartest.Source{}
	tests := []struct {
		name string
		cfg  Config
		ok   bool
	}{
		{"zero with source", Config{Source: src}, true},
		{"defaults", func() Config { c := DefaultConfig(); c.Source = src; return c }(), true},
		{"no source", Config{}, false},
		{"negative batch", Config{Source: src, MaxBatch: -1}, false},
		{"huge batch", Config{Source: src, MaxBatch: 1 << 21}, false},
		{"negative conns", Config{Source: src, MaxConns: -1}, false},
		{"negative idle", Config{Source: src, IdleTimeout: -time.Second}, false},
		{"tiny line", Config{Source: src, MaxLineBytes: 2}, false},
		{"huge line", Config{Source: src, MaxLineBytes: 1 << 20}, false},
		{"tiny header", Config{Source: src, MaxHeaderBytes: 10}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.cfg.Validate()
			if (err == nil) != tt.ok || (err != nil && !errors.Is(err, ErrBadConfig)) {
				t.Fatalf("Validate() = %v, want ok=%v", err, tt.ok)
			}
			if _, err := New(tt.cfg); (err == nil) != tt.ok {
				t.Fatalf("New() = %v, want ok=%v", err, tt.ok)
			}
		})
	}
}
