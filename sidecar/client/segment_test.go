package client_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/idcoord/idcoord/coord"
	"github.com/idcoord/idcoord/sidecar"
	"github.com/idcoord/idcoord/sidecar/client"
	"github.com/idcoord/idcoord/sidecar/testserver"
)

// segmentIDs is what both clients offer for segment IDs.
type segmentIDs interface {
	AppendSegmentIDs(ctx context.Context, tag string, dst []int64, n int) ([]int64, error)
}

func TestSegmentIDs(t *testing.T) {
	ts := testserver.Start(t, sidecar.Config{MaxBatch: 1000})
	cl := dial(t, ts.Path)
	hc := client.NewHTTPClient(ts.Path)
	defer hc.Close()
	ctx := context.Background()
	var got int64
	for name, c := range map[string]segmentIDs{"line": cl, "http": hc} {
		t.Run(name, func(t *testing.T) {
			var last int64
			for _, n := range []int{1, 7, 1000} {
				ids, err := c.AppendSegmentIDs(ctx, testserver.Tag, nil, n)
				if err != nil || len(ids) != n {
					t.Fatalf("%d IDs: got %d, %v", n, len(ids), err)
				}
				for _, id := range ids {
					if id <= last {
						t.Fatalf("ID %d after %d", id, last)
					}
					last = id
				}
				got += int64(n)
			}
		})
	}
	if issued := ts.Segments.Issued(testserver.Tag); issued != got {
		t.Fatalf("the source issued %d IDs, the clients got %d", issued, got)
	}
	id, err := cl.NextSegmentID(ctx, testserver.Tag)
	if err != nil || id != got+1 {
		t.Fatalf("NextSegmentID = %d, %v; want the source's next number %d", id, err, got+1)
	}
	ids, err := cl.SegmentIDs(ctx, testserver.Tag, 3)
	if err != nil || len(ids) != 3 {
		t.Fatalf("SegmentIDs(3) = %v, %v", ids, err)
	}
}

func TestSegmentErrors(t *testing.T) {
	ts := testserver.Start(t, sidecar.Config{MaxBatch: 1000})
	cl := dial(t, ts.Path)
	conn, err := client.DialConn(context.Background(), ts.Path)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	hc := client.NewHTTPClient(ts.Path)
	defer hc.Close()
	ctx := context.Background()
	tests := []struct {
		name, tag string
		n         int
		down      string
		want      error
		text      string // in the error
	}{
		{"unknown tag", "nope", 1, "", client.ErrNotFound, `coord: no such segment tag: "nope"`},
		{"over max-batch", testserver.Tag, 1001, "", client.ErrTooMany, "count 1001 exceeds max-batch 1000"},
		{"zero", testserver.Tag, 0, "", client.ErrBadRequest, "count must be at least 1, got 0"},
		{"empty tag", "", 1, "", coord.ErrBadTag, "empty"},
		{"newline in the tag", "orders\n1", 1, "", coord.ErrBadTag, `byte 6 is '\n'`},
		{"space in the tag", "a b", 1, "", coord.ErrBadTag, "byte 1 is ' '"},
		{"slash in the tag", "a/b", 1, "", coord.ErrBadTag, "byte 1 is '/'"},
		{"129 bytes", strings.Repeat("t", 129), 1, "", coord.ErrBadTag, "129 bytes long"},
		{"unavailable", testserver.Tag, 1, "store unreachable", client.ErrUnavailable, "store unreachable"},
		{"recovered", testserver.Tag, 5, "", nil, ""},
	}
	for _, name := range []string{"client", "conn", "http"} {
		for _, tt := range tests {
			c := map[string]segmentIDs{"client": cl, "conn": conn, "http": hc}[name]
			t.Run(name+"/"+tt.name, func(t *testing.T) {
				ts.Segments.SetDown(tt.down)
				ids, err := c.AppendSegmentIDs(ctx, tt.tag, nil, tt.n)
				if !errors.Is(err, tt.want) || (err != nil && !strings.Contains(err.Error(), tt.text)) {
					t.Fatalf("got %v, want %v with %q", err, tt.want, tt.text)
				}
				if errors.Is(err, coord.ErrBadTag) && !errors.Is(err, client.ErrBadRequest) {
					t.Fatalf("%v is not ErrBadRequest", err)
				}
				if err != nil && len(ids) != 0 || err == nil && len(ids) != tt.n {
					t.Fatalf("got %d IDs with %v", len(ids), err)
				}
			})
			if name == "conn" && errors.Is(tt.want, client.ErrUnavailable) {
				// ERR UNAVAILABLE breaks a Conn; the rest need a fresh one.
				conn.Close()
				if conn, err = client.DialConn(ctx, ts.Path); err != nil {
					t.Fatal(err)
				}
				defer conn.Close()
			}
		}
	}
}
