package loadgen

import (
	"bytes"
	"errors"
	"io"
	"net"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/idcoord/idcoord/sidecar/client"
)

// scriptConn is a net.Conn that reads a fixed answer and discards writes.
type scriptConn struct {
	net.Conn // nil; only Read, Write and Close are used
	r        io.Reader
}

func (c *scriptConn) Read(p []byte) (int, error)  { return c.r.Read(p) }
func (c *scriptConn) Write(p []byte) (int, error) { return len(p), nil }
func (c *scriptConn) Close() error                { return nil }

func TestHTTPConn(t *testing.T) {
	ok := "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 6\r\n\r\n11\n12\n"
	for _, tc := range []struct {
		name   string
		answer string
		n      int
		want   []int64
		kind   errKind // when want is nil
		usable bool
	}{
		{"ok", ok, 2, []int64{11, 12}, 0, true},
		{"lowercase headers", "HTTP/1.1 200 OK\r\ncontent-length: 3\r\n\r\n11\n", 1, []int64{11}, 0, true},
		{"connection close", "HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 3\r\n\r\n11\n", 1, []int64{11}, 0, false},
		{"unavailable", httpAnswer("503 Service Unavailable", `{"error":"unavailable","reason":"down"}`+"\n"), 1, nil, kindUnavailable, true},
		{"too many", httpAnswer("400 Bad Request", `{"error":"toomany","reason":"big"}`+"\n"), 1, nil, kindTooMany, true},
		{"bad request", httpAnswer("400 Bad Request", "{}"), 1, nil, kindBadRequest, true},
		{"not JSON", httpAnswer("503 Service Unavailable", "<html>"), 1, nil, kindUnavailable, true},
		{"other status", httpAnswer("404 Not Found", ""), 1, nil, kindProtocol, true},
		{"unknown tag", httpAnswer("404 Not Found", `{"error":"notfound","reason":"no such tag"}`), 1, nil, kindNotFound, true},
		{"error body too big", httpAnswer("503 Service Unavailable", strings.Repeat("x", maxErrBody+1)), 1, nil, kindProtocol, false},
		{"fewer IDs", ok, 3, nil, kindProtocol, false},
		{"no length", "HTTP/1.1 200 OK\r\n\r\n11\n", 1, nil, kindProtocol, false},
		{"chunked", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\n11\n\r\n0\r\n\r\n", 1, nil, kindProtocol, false},
		{"HTTP/1.0", "HTTP/1.0 200 OK\r\nContent-Length: 3\r\n\r\n11\n", 1, nil, kindProtocol, false},
		{"cut off", "HTTP/1.1 200 OK\r\nContent-Length: 6\r\n\r\n11\n", 2, nil, kindIO, false},
		{"nothing", "", 1, nil, kindIO, false},
		{"huge header", "HTTP/1.1 200 OK\r\nX: " + strings.Repeat("a", httpReadBuf) + "\r\n", 1, nil, kindProtocol, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := newHTTPConn(&scriptConn{r: strings.NewReader(tc.answer)}, "", tc.n)
			got, err := c.appendIDs(nil, tc.n)
			if tc.want == nil {
				if err == nil || classify(err) != tc.kind {
					t.Fatalf("got %v, %v; want an error of kind %s", got, err, errKindNames[tc.kind])
				}
			} else if err != nil || !slices.Equal(got, tc.want) {
				t.Fatalf("got %v, %v; want %v", got, err, tc.want)
			}
			if c.usable() != tc.usable {
				t.Errorf("usable %v, want %v", c.usable(), tc.usable)
			}
		})
	}
}

func TestHTTPConnKeepAlive(t *testing.T) {
	one := "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n5\n"
	busy := "HTTP/1.1 503 Service Unavailable\r\nContent-Length: 2\r\n\r\n{}"
	c := newHTTPConn(&scriptConn{r: strings.NewReader(one + busy + one)}, "", 1)
	for i, wantErr := range []error{nil, client.ErrUnavailable, nil} {
		if _, err := c.appendIDs(nil, 1); !errors.Is(err, wantErr) {
			t.Fatalf("answer %d: %v, want %v", i, err, wantErr)
		}
	}
}

// FuzzHTTPConn feeds any bytes to the raw HTTP client as an answer:
// it must return n non-negative IDs or an error, never panic or hang.
func FuzzHTTPConn(f *testing.F) {
	f.Add([]byte("HTTP/1.1 200 OK\r\nContent-Length: 6\r\n\r\n11\n12\n"), 2)
	f.Add([]byte("HTTP/1.1 503 Service Unavailable\r\nContent-Length: 2\r\n\r\n{}"), 1)
	f.Add([]byte("HTTP/1.1 200 OK\r\nContent-Length: 99999\r\n\r\n1\n"), 1)
	f.Add([]byte("HTTP/1.1 200 \n\n"), 1)
	f.Fuzz(func(t *testing.T, answer []byte, n int) {
		if n < 1 || n > 100 {
			return
		}
		c := newHTTPConn(&scriptConn{r: bytes.NewReader(answer)}, "", n)
		ids, err := c.appendIDs(nil, n)
		if err != nil {
			if len(ids) != 0 {
				t.Fatalf("error %v with %d IDs", err, len(ids))
			}
			return
		}
		if len(ids) != n {
			t.Fatalf("%d IDs, asked for %d", len(ids), n)
		}
		for _, id := range ids {
			if id < 0 {
				t.Fatalf("negative ID %d", id)
			}
		}
	})
}

// httpAnswer builds an HTTP/1.1 answer with a Content-Length header.
func httpAnswer(status, body string) string {
	return "HTTP/1.1 " + status + "\r\nContent-Length: " + strconv.Itoa(len(body)) + "\r\n\r\n" + body
}
