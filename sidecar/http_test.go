package sidecar

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptrace"
	"strconv"
	"strings"
	"testing"

	"github.com/idcoord/idcoord/sidecar/client"
)

// httpClient returns a client for the server's socket, closed at cleanup.
func httpClient(t testing.TB, path string) *http.Client {
	t.Helper()
	tr := client.NewHTTPTransport(path)
	t.Cleanup(tr.CloseIdleConnections)
	return &http.Client{Transport: tr}
}

// get does a request and returns the status, content type and body.
func get(t testing.TB, hc *http.Client, method, url, accept string) (int, string, string) {
	t.Helper()
	req, err := http.NewRequest(method, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	if accept != "" {
		req.Header.Set("Accept", accept)
	}
	resp, err := hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, resp.Header.Get("Content-Type"), string(body)
}

// textIDs parses n IDs, one per line.
func textIDs(t testing.TB, body string, n int) []int64 {
	t.Helper()
	if !strings.HasSuffix(body, "\n") {
		t.Fatalf("body %.60q does not end in a newline", body)
	}
	return parseIDs(t, strings.ReplaceAll(strings.TrimSuffix(body, "\n"), "\n", " "), n)
}

func TestHTTPEndpoints(t *testing.T) {
	ts := startServer(t, nil)
	hc := httpClient(t, ts.path)
	tests := []struct {
		name, method, url, accept string
		wantCode                  int
		check                     func(t *testing.T, ctype, body string)
	}{
		{"one ID", "GET", "/id", "", 200, func(t *testing.T, ctype, body string) {
			wantPrefix(t, ctype, "text/plain")
			textIDs(t, body, 1)
		}},
		{"IDs as text", "GET", "/ids?count=5", "", 200, func(t *testing.T, ctype, body string) {
			wantPrefix(t, ctype, "text/plain")
			textIDs(t, body, 5)
		}},
		{"no count means one", "GET", "/ids", "", 200, func(t *testing.T, _, body string) { textIDs(t, body, 1) }},
		{"max batch", "GET", "/ids?count=10000", "", 200, func(t *testing.T, _, body string) { textIDs(t, body, 10000) }},
		{"IDs as JSON strings", "GET", "/ids?count=3", "application/json", 200, func(t *testing.T, ctype, body string) {
			wantPrefix(t, ctype, "application/json")
			var v struct{ IDs []json.RawMessage }
			if err := json.Unmarshal([]byte(body), &v); err != nil {
				t.Fatalf("%v in %q", err, body)
			}
			strs := make([]string, len(v.IDs))
			for i, raw := range v.IDs {
				if err := json.Unmarshal(raw, &strs[i]); err != nil {
					t.Fatalf("ID %d is %s, not a JSON string", i, raw)
				}
			}
			parseIDs(t, strings.Join(strs, " "), 3)
		}},
		{"status", "GET", "/status", "", 200, func(t *testing.T, ctype, body string) {
			wantPrefix(t, ctype, "application/json")
			if !strings.Contains(body, `"worker_id":7`) {
				t.Fatalf("status %q lacks the worker id", body)
			}
		}},
		{"HEAD", "HEAD", "/id", "", 200, nil},
		{"count zero", "GET", "/ids?count=0", "", 400, wantJSONError("badrequest", "count must be at least 1, got 0")},
		{"count negative", "GET", "/ids?count=-2", "", 400, wantJSONError("badrequest", "count must be at least 1, got -2")},
		{"count not a number", "GET", "/ids?count=ten", "", 400, wantJSONError("badrequest", `count must be a decimal number, got "ten"`)},
		{"count twice", "GET", "/ids?count=1&count=2", "", 400, wantJSONError("badrequest", "count given 2 times; give it once")},
		{"bad query", "GET", "/ids?count=%zz", "", 400, wantJSONError("badrequest", "")},
		{"count over the cap", "GET", "/ids?count=10001", "", 400, wantJSONError("toomany", "count 10001 exceeds max-batch 10000")},
		{"decode bad id", "GET", "/decode/abc", "", 400, wantJSONError("badrequest", `id must be a decimal number from 0 to 9223372036854775807, got "abc"`)},
		{"decode negative", "GET", "/decode/-1", "", 400, wantJSONError("badrequest", "")},
		{"decode too big", "GET", "/decode/9223372036854775808", "", 400, wantJSONError("badrequest", "")},
		{"decode empty", "GET", "/decode/", "", 400, wantJSONError("badrequest", "")},
		{"unknown path", "GET", "/nope", "", 404, wantJSONError("notfound", "no endpoint /nope; try /id, /ids?count=N, /segment/<tag>?count=N, /decode/<id> or /status")},
		{"POST", "POST", "/id", "", 405, wantJSONError("badmethod", "method POST is not allowed; use GET")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, ctype, body := get(t, hc, tt.method, "http://idcoord"+tt.url, tt.accept)
			if code != tt.wantCode {
				t.Fatalf("status %d, want %d; body %.200q", code, tt.wantCode, body)
			}
			if tt.check != nil {
				tt.check(t, ctype, body)
			}
		})
	}
}

func wantPrefix(t *testing.T, got, prefix string) {
	t.Helper()
	if !strings.HasPrefix(got, prefix) {
		t.Fatalf("got %q, want %s...", got, prefix)
	}
}

// wantJSONError checks {"error": code, "reason": reason}; an empty reason
// only needs to be non-empty.
func wantJSONError(code, reason string) func(*testing.T, string, string) {
	return func(t *testing.T, ctype, body string) {
		t.Helper()
		wantPrefix(t, ctype, "application/json")
		var v struct{ Error, Reason string }
		if err := json.Unmarshal([]byte(body), &v); err != nil {
			t.Fatalf("%v in %q", err, body)
		}
		if v.Error != code || (reason != "" && v.Reason != reason) || v.Reason == "" {
			t.Fatalf("got %+v, want error %q reason %q", v, code, reason)
		}
	}
}

func TestHTTPDecode(t *testing.T) {
	ts := startServer(t, nil)
	hc := httpClient(t, ts.path)
	_, _, body := get(t, hc, "GET", "http://idcoord/id", "")
	id := textIDs(t, body, 1)[0]
	code, _, body := get(t, hc, "GET", "http://idcoord/decode/"+strconv.FormatInt(id, 10), "")
	if code != 200 {
		t.Fatalf("status %d: %s", code, body)
	}
	var got map[string]any
	if err := json.Unmarshal([]byte(body), &got); err != nil {
		t.Fatal(err)
	}
	p, err := ts.src.Layout().Decompose(id)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]any{
		"id":        strconv.FormatInt(id, 10),
		"time":      p.Time.UTC().Format("2006-01-02T15:04:05.000Z"),
		"tick":      float64(p.Tick),
		"worker_id": float64(7),
		"sequence":  float64(p.Sequence),
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s = %v, want %v (body %s)", k, got[k], v, body)
		}
	}
	if len(got) != len(want) {
		t.Errorf("fields %v, want exactly %v", got, want)
	}
}

func TestHTTPKeepAlive(t *testing.T) {
	ts := startServer(t, nil)
	hc := httpClient(t, ts.path)
	reused := 0
	for range 5 {
		req, _ := http.NewRequest("GET", "http://idcoord/id", nil)
		req = req.WithContext(httptrace.WithClientTrace(req.Context(), &httptrace.ClientTrace{
			GotConn: func(info httptrace.GotConnInfo) {
				if info.Reused {
					reused++
				}
			},
		}))
		resp, err := hc.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}
	if reused != 4 {
		t.Fatalf("%d of 4 later requests reused the connection", reused)
	}
	if n := metricValue(ts.metrics.connsOpen); n != 1 {
		t.Fatalf("%v connections open, want 1", n)
	}
}

func TestHTTPUnavailable(t *testing.T) {
	ts := startServer(t, nil)
	hc := httpClient(t, ts.path)
	ts.src.SetDown("lease fence passed")
	for _, url := range []string{"/id", "/ids?count=3", "/ids?count=3"} {
		accept := ""
		if url == "/ids?count=3" {
			accept = "application/json"
		}
		code, ctype, body := get(t, hc, "GET", "http://idcoord"+url, accept)
		if code != 503 {
			t.Fatalf("%s: status %d, want 503", url, code)
		}
		wantJSONError("unavailable", "lease fence passed")(t, ctype, body)
	}
	ts.src.SetDown("")
	if code, _, body := get(t, hc, "GET", "http://idcoord/id", ""); code != 200 {
		t.Fatalf("status %d after recovery: %s", code, body)
	}
	if n := metricValue(ts.metrics.requests[protoHTTP][resultUnavailable]); n != 3 {
		t.Fatalf("counted %v unavailable HTTP requests, want 3", n)
	}
}
