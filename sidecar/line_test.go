package sidecar

import (
	"bufio"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestLineProtocol(t *testing.T) {
	ts := startServer(t, nil)
	c := dialLine(t, ts.path)
	tests := []struct {
		name, req string
		wantN     int    // IDs expected, if wantErr is empty
		wantErr   string // the whole ERR line
	}{
		{name: "one", req: "1\n", wantN: 1},
		{name: "empty line means one", req: "\n", wantN: 1},
		{name: "CRLF", req: "5\r\n", wantN: 5},
		{name: "empty CRLF", req: "\r\n", wantN: 1},
		{name: "leading zeros", req: "007\n", wantN: 7},
		{name: "max batch", req: "10000\n", wantN: 10000},
		{name: "zero", req: "0\n", wantErr: "ERR BADREQUEST count must be at least 1, got 0"},
		{name: "negative", req: "-3\n", wantErr: "ERR BADREQUEST count must be at least 1, got -3"},
		{name: "plus sign", req: "+3\n", wantErr: `ERR BADREQUEST count must be a decimal number, got "+3"`},
		{name: "non-numeric", req: "abc\n", wantErr: `ERR BADREQUEST count must be a decimal number, got "abc"`},
		{name: "three numbers", req: "1 2 3\n", wantErr: "ERR BADREQUEST coord: bad segment tag: byte 1 is ' '; a tag is 1 to 128 letters, digits and . _ : -"},
		{name: "over the cap", req: "10001\n", wantErr: "ERR TOOMANY count 10001 exceeds max-batch 10000"},
		{name: "huge", req: "99999999999999999999999\n", wantErr: "ERR TOOMANY count 99999999999999999999999 exceeds max-batch 10000"},
		{name: "usable after errors", req: "2\n", wantN: 2},
	}
	var last int64
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c.t = t
			got := c.ask(tt.req)
			if tt.wantErr != "" {
				if got != tt.wantErr {
					t.Fatalf("got %q, want %q", got, tt.wantErr)
				}
				return
			}
			ids := parseIDs(t, got, tt.wantN)
			if ids[0] <= last {
				t.Fatalf("ID %d not above the previous answer's %d", ids[0], last)
			}
			last = ids[len(ids)-1]
		})
	}
}

func TestLineUnknownFirstByte(t *testing.T) {
	ts := startServer(t, nil)
	for _, req := range []string{"xyz\n", "\x00\n", "get /id HTTP/1.1\r\n\r\n", " 1\n"} {
		c := dialLine(t, ts.path)
		got := c.ask(req)
		if !strings.HasPrefix(got, "ERR BADREQUEST unknown protocol") {
			t.Errorf("%q: got %q, want ERR BADREQUEST unknown protocol", req, got)
		}
		c.expectEOF()
	}
	assertServing(t, ts.path)
}

func TestLinePipelining(t *testing.T) {
	ts := startServer(t, nil)
	c := dialLine(t, ts.path)
	const n = 1000
	c.send(strings.Repeat("1\n", n))
	seen := make(map[int64]bool, n)
	var last int64
	for i := range n {
		id := parseIDs(t, c.line(), 1)[0]
		if id <= last || seen[id] {
			t.Fatalf("answer %d: ID %d after %d", i, id, last)
		}
		seen[id], last = true, id
	}

	// Mixed counts and errors keep their order.
	c.send("1\n3\n0\n\n2\r\n10001\n")
	parseIDs(t, c.line(), 1)
	parseIDs(t, c.line(), 3)
	if got := c.line(); !strings.HasPrefix(got, "ERR BADREQUEST") {
		t.Fatalf("third answer %q, want ERR BADREQUEST", got)
	}
	parseIDs(t, c.line(), 1)
	parseIDs(t, c.line(), 2)
	if got := c.line(); !strings.HasPrefix(got, "ERR TOOMANY") {
		t.Fatalf("sixth answer %q, want ERR TOOMANY", got)
	}
}

func TestLineUnavailable(t *testing.T) {
	ts := startServer(t, nil)
	c := dialLine(t, ts.path)
	parseIDs(t, c.ask("1\n"), 1)
	ts.src.SetDown("clock is past the reserved window\nsecond line")
	if got, want := c.ask("3\n"), "ERR UNAVAILABLE clock is past the reserved window second line"; got != want {
		t.Fatalf("got %q, want %q", got, want)
	}
	ts.src.SetDown("")
	parseIDs(t, c.ask("3\n"), 3)
}

func TestWriteIDsConsecutive(t *testing.T) {
	tests := [][]int64{
		{1},
		{8, 9, 10, 11},
		{99, 100, 101},
		{999999, 1000000, 1000001, 5, 6},
		{9223372036854775805, 9223372036854775806, 9223372036854775807},
		{1, 3, 4, 19, 20},
	}
	for _, ids := range tests {
		var sb strings.Builder
		c := &conn{s: &Server{cfg: Config{WriteTimeout: time.Second}}, nc: nopConn{}, w: bufio.NewWriterSize(&sb, 64)}
		if !c.writeIDs(ids) {
			t.Fatal("writeIDs failed")
		}
		c.w.Flush()
		want := make([]string, len(ids))
		for i, id := range ids {
			want[i] = strconv.FormatInt(id, 10)
		}
		if got := sb.String(); got != strings.Join(want, " ")+"\n" {
			t.Errorf("writeIDs(%v) wrote %q", ids, got)
		}
	}
}

// nopConn is a net.Conn whose deadlines do nothing, for writer tests.
type nopConn struct{ net.Conn }

func (nopConn) SetWriteDeadline(time.Time) error { return nil }
