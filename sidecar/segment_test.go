package sidecar

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/idcoord/idcoord/coord"
	"github.com/idcoord/idcoord/sidecar/client"
	"github.com/idcoord/idcoord/sidecar/sidecartest"
)

// badTagErr is the ERR line of a tag that CheckTag refuses.
func badTagErr(tag string) string {
	return "ERR BADREQUEST " + coord.CheckTag(tag).Error()
}

func TestSegmentLine(t *testing.T) {
	ts := startServer(t, nil)
	c := dialLine(t, ts.path)
	long := strings.Repeat("t", 128)
	tests := []struct {
		name, req string
		tag       string // whose IDs the answer holds, if wantErr is empty
		wantN     int
		wantErr   string // the whole ERR line
	}{
		{name: "one", req: "1 orders\n", tag: "orders", wantN: 1},
		{name: "batch", req: "5 orders\n", tag: "orders", wantN: 5},
		{name: "CRLF", req: "3 user.ids\r\n", tag: "user.ids", wantN: 3},
		{name: "longest tag", req: "2 " + long + "\n", tag: long, wantN: 2},
		{name: "max batch", req: "10000 orders\n", tag: "orders", wantN: 10000},
		{name: "leading zeros", req: "007 orders\n", tag: "orders", wantN: 7},
		{name: "snowflake between", req: "1\n", wantN: 1},
		{name: "unknown tag", req: "1 nope\n", wantErr: `ERR NOTFOUND coord: no such segment tag: "nope"`},
		{name: "tag of 129 bytes", req: "1 " + long + "t\n", wantErr: badTagErr(long + "t")},
		{name: "slash", req: "1 a/b\n", wantErr: badTagErr("a/b")},
		{name: "space", req: "1 a b\n", wantErr: badTagErr("a b")},
		{name: "two spaces", req: "1  orders\n", wantErr: badTagErr(" orders")},
		{name: "non-ASCII", req: "1 é\n", wantErr: badTagErr("é")},
		{name: "empty tag", req: "1 \n", wantErr: badTagErr("")},
		{name: "dot-dot", req: "1 ..\n", wantErr: badTagErr("..")},
		{name: "NUL", req: "1 a\x00b\n", wantErr: badTagErr("a\x00b")},
		{name: "no count", req: " orders\n", wantErr: "ERR BADREQUEST a segment request is a count, one space and a tag; the count is missing"},
		{name: "zero", req: "0 orders\n", wantErr: "ERR BADREQUEST count must be at least 1, got 0"},
		{name: "negative", req: "-2 orders\n", wantErr: "ERR BADREQUEST count must be at least 1, got -2"},
		{name: "not a count", req: "x orders\n", wantErr: `ERR BADREQUEST count must be a decimal number, got "x"`},
		{name: "over the cap", req: "10001 orders\n", wantErr: "ERR TOOMANY count 10001 exceeds max-batch 10000"},
		{name: "usable after errors", req: "2 orders\n", tag: "orders", wantN: 2},
	}
	last := map[string]int64{}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c.t = t
			got := c.ask(tt.req)
			if tt.wantErr != "" {
				if got != tt.wantErr {
					t.Fatalf("got %.200q, want %.200q", got, tt.wantErr)
				}
				return
			}
			ids := parseIDs(t, got, tt.wantN)
			if ids[0] <= last[tt.tag] {
				t.Fatalf("ID %d not above the previous answer's %d", ids[0], last[tt.tag])
			}
			last[tt.tag] = ids[len(ids)-1]
			if tt.tag != "" && ts.segs.Issued(tt.tag) != last[tt.tag] {
				t.Fatalf("the source issued %d IDs of %s, the last one sent is %d", ts.segs.Issued(tt.tag), tt.tag, last[tt.tag])
			}
		})
	}
}

func TestSegmentLineUnavailable(t *testing.T) {
	ts := startServer(t, nil)
	c := dialLine(t, ts.path)
	ts.segs.SetDown("no segment loaded and the store does not answer")
	if got, want := c.ask("1 orders\n"), "ERR UNAVAILABLE no segment loaded and the store does not answer"; got != want {
		t.Fatalf("got %q, want %q", got, want)
	}
	parseIDs(t, c.ask("2\n"), 2) // Snowflake IDs do not depend on segments
	ts.segs.SetDown("")
	parseIDs(t, c.ask("2 orders\n"), 2)
}

func TestSegmentNotServed(t *testing.T) {
	ts := startServer(t, func(c *Config) { c.Segments = nil })
	c := dialLine(t, ts.path)
	if got, want := c.ask("1 orders\n"), `ERR NOTFOUND segment mode is not served here: no tag "orders"`; got != want {
		t.Fatalf("got %q, want %q", got, want)
	}
	if got, want := c.ask("1 a/b\n"), badTagErr("a/b"); got != want {
		t.Fatalf("got %q, want %q", got, want)
	}
	code, _, body := get(t, httpClient(t, ts.path), "GET", "http://idcoord/segment/orders", "")
	if code != 404 || !strings.Contains(body, "segment mode is not served here") {
		t.Fatalf("HTTP %d %q; want 404 saying segment mode is not served", code, body)
	}
}

// TestSegmentLineLength checks that a line of exactly MaxLineBytes is served
// and one byte more closes the connection.
func TestSegmentLineLength(t *testing.T) {
	ts := startServer(t, nil)
	limit := DefaultMaxLineBytes
	c := dialLine(t, ts.path)
	// The largest count a server may allow, with the longest tag, fits the
	// default: it is refused for its count, not for its length.
	longest := fmt.Sprintf("%d %s\n", MaxMaxBatch, strings.Repeat("t", coord.MaxTagBytes))
	if got, want := c.ask(longest), fmt.Sprintf("ERR TOOMANY count %d exceeds max-batch %d", MaxMaxBatch, DefaultMaxBatch); got != want {
		t.Fatalf("got %q, want %q", got, want)
	}
	atLimit := strings.Repeat("0", limit-len(" orders")-1) + "1 orders"
	if len(atLimit) != limit {
		t.Fatalf("test line is %d bytes", len(atLimit))
	}
	parseIDs(t, c.ask(atLimit+"\n"), 1)
	c.send("0" + atLimit + "\n")
	if got, want := c.line(), fmt.Sprintf("ERR BADREQUEST line longer than %d bytes; closing", limit); got != want {
		t.Fatalf("got %q, want %q", got, want)
	}
	c.expectEOF()
}

// TestSegmentPipelined sends Snowflake and segment requests in one write;
// the answers come in request order.
func TestSegmentPipelined(t *testing.T) {
	ts := startServer(t, nil)
	c := dialLine(t, ts.path)
	reqs := []struct {
		req     string
		tag     string
		n       int
		wantErr string
	}{
		{"1", "", 1, ""},
		{"2 orders", "orders", 2, ""},
		{"3", "", 3, ""},
		{"1 user.ids", "user.ids", 1, ""},
		{"1 nope", "", 0, `ERR NOTFOUND coord: no such segment tag: "nope"`},
		{"4 orders", "orders", 4, ""},
		{"10001 orders", "", 0, "ERR TOOMANY count 10001 exceeds max-batch 10000"},
		{"", "", 1, ""},
		{"1 orders", "orders", 1, ""},
	}
	var b strings.Builder
	for range 50 {
		for _, r := range reqs {
			b.WriteString(r.req + "\n")
		}
	}
	c.send(b.String())
	last := map[string]int64{}
	for range 50 {
		for _, r := range reqs {
			got := c.line()
			if r.wantErr != "" {
				if got != r.wantErr {
					t.Fatalf("%q: got %q, want %q", r.req, got, r.wantErr)
				}
				continue
			}
			ids := parseIDs(t, got, r.n)
			if ids[0] <= last[r.tag] {
				t.Fatalf("%q: ID %d not above %d", r.req, ids[0], last[r.tag])
			}
			last[r.tag] = ids[len(ids)-1]
		}
	}
	if ts.segs.Issued("orders") != last["orders"] || ts.segs.Issued("orders") != 50*7 {
		t.Fatalf("orders: issued %d, last sent %d; want %d", ts.segs.Issued("orders"), last["orders"], 50*7)
	}
}

func TestSegmentHTTP(t *testing.T) {
	ts := startServer(t, nil)
	hc := httpClient(t, ts.path)
	long := strings.Repeat("t", 128)
	tests := []struct {
		name, method, url, accept string
		down                      string
		wantCode                  int
		check                     func(t *testing.T, ctype, body string)
	}{
		{"one ID", "GET", "/segment/orders", "", "", 200, func(t *testing.T, ctype, body string) {
			wantPrefix(t, ctype, "text/plain")
			textIDs(t, body, 1)
		}},
		{"IDs as text", "GET", "/segment/user.ids?count=5", "", "", 200, func(t *testing.T, _, body string) { textIDs(t, body, 5) }},
		{"longest tag", "GET", "/segment/" + long + "?count=2", "", "", 200, func(t *testing.T, _, body string) { textIDs(t, body, 2) }},
		{"max batch", "GET", "/segment/orders?count=10000", "", "", 200, func(t *testing.T, _, body string) { textIDs(t, body, 10000) }},
		{"IDs as JSON", "GET", "/segment/orders?count=3", "application/json", "", 200, func(t *testing.T, ctype, body string) {
			wantPrefix(t, ctype, "application/json")
			if !strings.HasPrefix(body, `{"ids":["`) || strings.Count(body, `"`) != 2+6 {
				t.Fatalf("body %q; want 3 IDs as JSON strings", body)
			}
		}},
		{"unknown tag", "GET", "/segment/nope", "", "", 404, wantJSONError("notfound", `coord: no such segment tag: "nope"`)},
		{"129 bytes", "GET", "/segment/" + long + "t", "", "", 400, wantJSONError("badrequest", coord.CheckTag(long+"t").Error())},
		{"escaped slash", "GET", "/segment/a%2Fb", "", "", 400, wantJSONError("badrequest", coord.CheckTag("a/b").Error())},
		{"extra path", "GET", "/segment/orders/x", "", "", 400, wantJSONError("badrequest", coord.CheckTag("orders/x").Error())},
		{"escaped space", "GET", "/segment/a%20b", "", "", 400, wantJSONError("badrequest", coord.CheckTag("a b").Error())},
		{"non-ASCII", "GET", "/segment/%C3%A9", "", "", 400, wantJSONError("badrequest", coord.CheckTag("é").Error())},
		{"empty tag", "GET", "/segment/", "", "", 400, wantJSONError("badrequest", coord.CheckTag("").Error())},
		{"count zero", "GET", "/segment/orders?count=0", "", "", 400, wantJSONError("badrequest", "count must be at least 1, got 0")},
		{"count over the cap", "GET", "/segment/orders?count=10001", "", "", 400, wantJSONError("toomany", "count 10001 exceeds max-batch 10000")},
		{"unavailable", "GET", "/segment/orders", "", "store unreachable", 503, wantJSONError("unavailable", "store unreachable")},
		{"POST", "POST", "/segment/orders", "", "", 405, wantJSONError("badmethod", "method POST is not allowed; use GET")},
		{"no slash", "GET", "/segment", "", "", 404, wantJSONError("notfound", "")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ts.segs.SetDown(tt.down)
			code, ctype, body := get(t, hc, tt.method, "http://idcoord"+tt.url, tt.accept)
			if code != tt.wantCode {
				t.Fatalf("status %d, want %d; body %.200q", code, tt.wantCode, body)
			}
			tt.check(t, ctype, body)
		})
	}
}

// TestSegmentMetrics checks that segment requests are counted with every
// request and in their own counters, by result.
func TestSegmentMetrics(t *testing.T) {
	ts := startServer(t, nil)
	c := dialLine(t, ts.path)
	c.ask("3 orders\n")
	c.ask("1 nope\n")
	c.ask("1\n")
	get(t, httpClient(t, ts.path), "GET", "http://idcoord/segment/orders?count=2", "")
	m := ts.metrics
	for _, tc := range []struct {
		name string
		got  float64
		want float64
	}{
		{"segment line ok", metricValue(m.segRequests[protoLine][resultOK]), 1},
		{"segment line notfound", metricValue(m.segRequests[protoLine][resultNotFound]), 1},
		{"segment http ok", metricValue(m.segRequests[protoHTTP][resultOK]), 1},
		{"line ok, both modes", metricValue(m.requests[protoLine][resultOK]), 2},
		{"line notfound", metricValue(m.requests[protoLine][resultNotFound]), 1},
		{"segment IDs", metricValue(m.segIDs), 5},
		{"IDs, both modes", metricValue(m.idsIssued), 6},
	} {
		if tc.got != tc.want {
			t.Errorf("%s: %v, want %v", tc.name, tc.got, tc.want)
		}
	}
}

// TestSegmentParallelUniqueness draws segment IDs of one tag from 8
// goroutines at once, over the Go client, HTTP and pipelined raw lines, with
// Snowflake requests mixed in, and checks that no ID repeats, each
// goroutine's IDs increase, and every ID the source issued was sent.
func TestSegmentParallelUniqueness(t *testing.T) {
	ts := startServer(t, nil)
	cl, err := client.Dial(ts.path)
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	hc := httpClient(t, ts.path)
	const goroutines, perGoroutine = 8, 20000
	results := make([][]int64, goroutines)
	var wg sync.WaitGroup
	for g := range goroutines {
		wg.Go(func() {
			var ids []int64
			ctx := context.Background()
			switch g % 4 {
			case 0, 1: // Go client, one ID and batches
				for len(ids) < perGoroutine && !t.Failed() {
					var err error
					if ids, err = cl.AppendSegmentIDs(ctx, "orders", ids, min(1+g*50, perGoroutine-len(ids))); err != nil {
						t.Error(err)
						return
					}
					if _, err := cl.NextID(ctx); err != nil {
						t.Error(err)
						return
					}
				}
			case 2: // HTTP batches
				for len(ids) < perGoroutine && !t.Failed() {
					_, _, body := get(t, hc, "GET", "http://idcoord/segment/orders?count=500", "")
					ids = append(ids, textIDs(t, body, 500)...)
				}
			case 3: // pipelined line requests, Snowflake and segment
				c := dialLine(t, ts.path)
				for len(ids) < perGoroutine && !t.Failed() {
					c.send(strings.Repeat("5 orders\n1\n", 50))
					for range 50 {
						ids = append(ids, parseIDs(t, c.line(), 5)...)
						parseIDs(t, c.line(), 1)
					}
				}
			}
			results[g] = ids
		})
	}
	wg.Wait()
	if n := sidecartest.CheckUnique(t, results); int64(n) != ts.segs.Issued("orders") {
		t.Fatalf("clients got %d IDs, the source issued %d", n, ts.segs.Issued("orders"))
	}
}
