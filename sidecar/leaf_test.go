package sidecar

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/idcoord/idcoord/coord"
	"github.com/idcoord/idcoord/sidecar/sidecartest"
)

// leafGet serves one request with h and returns the status and body.
func leafGet(t *testing.T, h http.Handler, method, target string) (int, http.Header, string) {
	t.Helper()
	w := httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequest(method, target, nil))
	return w.Code, w.Header(), w.Body.String()
}

func TestLeafAPI(t *testing.T) {
	src := sidecartest.NewSource(t, 3)
	segs := sidecartest.NewSegments("orders")
	reg := prometheus.NewRegistry()
	h, err := NewLeaf(LeafConfig{Source: src, Segments: segs, Registry: reg})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, method, target string
		srcDown, segsDown    string
		wantCode             int
		want                 string // the body; for 200, "segment" or "snowflake"
	}{
		{"segment", "GET", "/api/segment/get/orders", "", "", 200, "segment"},
		{"segment again", "GET", "/api/segment/get/orders", "", "", 200, "segment"},
		{"snowflake", "GET", "/api/snowflake/get/any-key", "", "", 200, "snowflake"},
		{"snowflake, another key", "GET", "/api/snowflake/get/x", "", "", 200, "snowflake"},
		{"segment while Snowflake is not safe", "GET", "/api/segment/get/orders", "lease lost", "", 200, "segment"},
		{"unknown tag", "GET", "/api/segment/get/nope", "", "", 500, `coord: no such segment tag: "nope"` + "\n"},
		{"bad tag", "GET", "/api/segment/get/a%20b", "", "", 500, coord.CheckTag("a b").Error() + "\n"},
		{"tag of 129 bytes", "GET", "/api/segment/get/" + strings.Repeat("t", 129), "", "", 500, coord.CheckTag(strings.Repeat("t", 129)).Error() + "\n"},
		{"segments down", "GET", "/api/segment/get/orders", "", "store\nunreachable", 500, "store unreachable\n"},
		{"snowflake not safe", "GET", "/api/snowflake/get/k", "lease lost", "", 500, "lease lost\n"},
		{"empty tag", "GET", "/api/segment/get/", "", "", 404, ""},
		{"empty key", "GET", "/api/snowflake/get/", "", "", 404, ""},
		{"extra path", "GET", "/api/segment/get/orders/x", "", "", 404, ""},
		{"escaped slash", "GET", "/api/segment/get/a%2Fb", "", "", 404, ""},
		{"socket API", "GET", "/id", "", "", 404, ""},
		{"admin API", "GET", "/metrics", "", "", 404, ""},
		{"root", "GET", "/", "", "", 404, ""},
		{"POST", "POST", "/api/segment/get/orders", "", "", 405, "method POST is not allowed; use GET\n"},
		{"HEAD", "HEAD", "/api/snowflake/get/k", "", "", 405, "method HEAD is not allowed; use GET\n"},
	}
	var lastSeg int64
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src.SetDown(tt.srcDown)
			segs.SetDown(tt.segsDown)
			code, hdr, body := leafGet(t, h, tt.method, tt.target)
			if code != tt.wantCode {
				t.Fatalf("status %d, want %d; body %q", code, tt.wantCode, body)
			}
			if ct := hdr.Get("Content-Type"); !strings.HasPrefix(ct, "text/plain") {
				t.Fatalf("Content-Type %q, want text/plain", ct)
			}
			if code == 405 && hdr.Get("Allow") != "GET" {
				t.Fatalf("Allow %q, want GET", hdr.Get("Allow"))
			}
			switch {
			case code != 200 && tt.want == "":
				if strings.Count(body, "\n") != 1 || !strings.HasPrefix(body, "no endpoint ") {
					t.Fatalf("body %q; want one line naming the endpoints", body)
				}
			case code != 200:
				if body != tt.want {
					t.Fatalf("body %q, want %q", body, tt.want)
				}
			default:
				id, err := strconv.ParseInt(body, 10, 64)
				if err != nil || strconv.FormatInt(id, 10) != body {
					t.Fatalf("body %q is not plain decimal digits", body)
				}
				if tt.want == "segment" {
					if id <= lastSeg || id != segs.Issued("orders") {
						t.Fatalf("segment ID %d after %d; the source issued %d", id, lastSeg, segs.Issued("orders"))
					}
					lastSeg = id
				} else if p, err := src.Layout().Decompose(id); err != nil || p.WorkerID != 3 {
					t.Fatalf("snowflake ID %d decomposes to %+v, %v", id, p, err)
				}
			}
		})
	}
	if got := metricValue(h.(*leafHandler).reqs.WithLabelValues("segment", "ok")); got != 3 {
		t.Errorf("segment ok requests counted %v, want 3", got)
	}
	families, err := reg.Gather()
	if err != nil || len(families) != 1 || families[0].GetName() != "idcoord_sidecar_leaf_requests_total" {
		t.Errorf("registry gathers %v, %v; want the leaf request counter", families, err)
	}
}

func TestLeafNoSegments(t *testing.T) {
	h, err := NewLeaf(LeafConfig{Source: sidecartest.NewSource(t, 1)})
	if err != nil {
		t.Fatal(err)
	}
	if code, _, body := leafGet(t, h, "GET", "/api/segment/get/orders"); code != 500 || body != `segment mode is not served here: no tag "orders"`+"\n" {
		t.Fatalf("got %d %q; want 500 saying segment mode is not served", code, body)
	}
	if code, _, _ := leafGet(t, h, "GET", "/api/snowflake/get/k"); code != 200 {
		t.Fatalf("snowflake: %d, want 200", code)
	}
}

func TestLeafConfig(t *testing.T) {
	if _, err := NewLeaf(LeafConfig{}); !errors.Is(err, ErrBadConfig) {
		t.Fatalf("NewLeaf without a Source: %v, want ErrBadConfig", err)
	}
	// Two handlers on one registry share the counter, as two Servers do.
	reg := prometheus.NewRegistry()
	for range 2 {
		if _, err := NewLeaf(LeafConfig{Source: sidecartest.NewSource(t, 1), Registry: reg}); err != nil {
			t.Fatal(err)
		}
	}
}
