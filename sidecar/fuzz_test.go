package sidecar

import (
	"bufio"
	"bytes"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"
)

// FuzzParseRequest checks the split of a line request: a line without a
// space is a count alone, parsed as parseCount does; otherwise the count is
// the part before the first space and the tag all that follows it.
func FuzzParseRequest(f *testing.F) {
	for _, s := range []string{"", "1", "1 orders", "5 a b", " orders", "1 ", "0 x", "10001 x", "x y", "1  z", "1 \xff"} {
		f.Add(s)
	}
	const maxBatch = 10000
	f.Fuzz(func(t *testing.T, s string) {
		n, tag, seg, res, reason := parseRequest([]byte(s), maxBatch)
		count, rest, hasSpace := strings.Cut(s, " ")
		if seg != hasSpace {
			t.Fatalf("%q: segment request %v, want %v", s, seg, hasSpace)
		}
		if !seg {
			if n2, res2, reason2 := parseCount(s, maxBatch); n != n2 || res != res2 || reason != reason2 || tag != nil {
				t.Fatalf("%q: a count alone parsed unlike parseCount", s)
			}
			return
		}
		if string(tag) != rest {
			t.Fatalf("%q: tag %q, want %q", s, tag, rest)
		}
		switch {
		case count == "":
			if res != resultBadRequest || reason == "" {
				t.Fatalf("%q: a missing count got %v %q", s, res, reason)
			}
		default:
			if n2, res2, reason2 := parseCount(count, maxBatch); n != n2 || res != res2 || reason != reason2 {
				t.Fatalf("%q: count %q parsed unlike parseCount", s, count)
			}
		}
	})
}

func FuzzParseCount(f *testing.F) {
	for _, s := range []string{"", "1", "0", "-1", "+1", "007", "abc", "10000", "10001", "99999999999999999999", "1 2", "\x00", "-", "٣"} {
		f.Add(s)
	}
	const maxBatch = 10000
	f.Fuzz(func(t *testing.T, s string) {
		n, res, reason := parseCount(s, maxBatch)
		n2, res2, reason2 := parseCount([]byte(s), maxBatch)
		if n != n2 || res != res2 || reason != reason2 {
			t.Fatalf("string and []byte disagree on %q", s)
		}
		switch res {
		case resultOK:
			want := 1
			if s != "" {
				var err error
				if want, err = strconv.Atoi(s); err != nil || !isDigits(s) {
					t.Fatalf("%q accepted as %d, but is not a plain decimal", s, n)
				}
			}
			if n != want || n < 1 || n > maxBatch {
				t.Fatalf("%q parsed as %d", s, n)
			}
		case resultTooMany:
			if !isDigits(s) || reason == "" {
				t.Fatalf("%q: TOOMANY for a non-number, or no reason", s)
			}
		case resultBadRequest:
			if reason == "" {
				t.Fatalf("%q: no reason", s)
			}
			if v, err := strconv.Atoi(s); err == nil && isDigits(s) && v >= 1 && v <= maxBatch {
				t.Fatalf("%q refused, but is a count in range", s)
			}
		default:
			t.Fatalf("%q: unexpected result %v", s, res)
		}
	})
}

// FuzzHTTPRequest feeds arbitrary bytes to the server as a whole connection's
// input (either protocol: the first byte decides) and checks that the server
// survives and answers only with valid IDs, ERR lines, or HTTP statuses of
// 200 or 4xx/5xx.
func FuzzHTTPRequest(f *testing.F) {
	for _, s := range []string{
		"GET /id HTTP/1.1\r\nHost: x\r\n\r\n",
		"GET /ids?count=5 HTTP/1.1\r\nHost: x\r\n\r\n",
		"GET /ids?count=3 HTTP/1.1\r\nHost: x\r\nAccept: application/json\r\n\r\n",
		"GET /ids?count=-1&count=2 HTTP/1.1\r\nHost: x\r\n\r\n",
		"GET /ids?count=%zz HTTP/1.1\r\nHost: x\r\n\r\n",
		"GET /decode/1234567890123 HTTP/1.1\r\nHost: x\r\n\r\n",
		"GET /decode/9223372036854775807 HTTP/1.1\r\nHost: x\r\n\r\n",
		"GET /decode/%2d1 HTTP/1.1\r\nHost: x\r\n\r\n",
		"GET /status HTTP/1.1\r\nHost: x\r\n\r\nGET /id HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
		"GET /segment/orders HTTP/1.1\r\nHost: x\r\n\r\n",
		"GET /segment/orders?count=4 HTTP/1.1\r\nHost: x\r\nAccept: application/json\r\n\r\n",
		"GET /segment/nope?count=2 HTTP/1.1\r\nHost: x\r\n\r\n",
		"GET /segment/a%2Fb HTTP/1.1\r\nHost: x\r\n\r\n",
		"GET /segment/%C3%A9/x?count=0 HTTP/1.1\r\nHost: x\r\n\r\n",
		"POST /id HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc",
		"GET / HTTP/1.0\r\n\r\n",
		"1\n2\r\n\n0\n-5\nabc\n101\n",
		"1 orders\n3 user.ids\r\n2\n1 nope\n",
		"1 a b\n1  orders\n \n1 \n0 orders\n101 orders\n1 \xc3\xa9\n",
		"3",
		"\xff\xfe",
	} {
		f.Add([]byte(s))
	}
	core, logs := observer.New(zapcore.WarnLevel)
	ts := startServerLogged(f, zap.New(core), func(c *Config) {
		c.MaxBatch = 100
		c.IdleTimeout = time.Second
		c.ReadTimeout = time.Second
	})
	f.Fuzz(func(t *testing.T, in []byte) {
		out := roundTrip(t, ts.Server, in)
		if len(in) > 0 && 'A' <= in[0] && in[0] <= 'Z' {
			checkHTTPAnswers(t, in, out)
		} else {
			checkLineAnswers(t, string(out))
			if n := bytes.Count(out, []byte("\n")); n > bytes.Count(in, []byte("\n"))+1 {
				t.Fatalf("%d answers to %d requests", n, bytes.Count(in, []byte("\n")))
			}
		}
		for _, e := range logs.TakeAll() {
			if strings.Contains(e.Message, "panic") {
				t.Fatalf("server logged %q", e.Message)
			}
		}
	})
}

// roundTrip serves one connection whose client writes in, closes its write
// side and reads everything the server answers.
func roundTrip(t *testing.T, s *Server, in []byte) []byte {
	fds, err := syscall.Socketpair(syscall.AF_UNIX, syscall.SOCK_STREAM|syscall.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	ends := [2]net.Conn{}
	for i, fd := range fds {
		file := os.NewFile(uintptr(fd), "socketpair")
		ends[i], err = net.FileConn(file)
		file.Close()
		if err != nil {
			t.Fatal(err)
		}
	}
	cl := ends[1].(*net.UnixConn)
	defer cl.Close()
	s.serveConn(ends[0])
	cl.SetDeadline(time.Now().Add(10 * time.Second))
	go func() {
		cl.Write(in) // the server may close early
		cl.CloseWrite()
	}()
	out, err := io.ReadAll(cl)
	if err != nil && !isReset(err) {
		t.Fatalf("reading the answer: %v", err)
	}
	return out
}

func isReset(err error) bool {
	return strings.Contains(err.Error(), "connection reset")
}

// checkHTTPAnswers checks every response the server wrote.
func checkHTTPAnswers(t *testing.T, in, out []byte) {
	if len(out) == 0 {
		return
	}
	br := bufio.NewReader(bytes.NewReader(out))
	for {
		if _, err := br.Peek(1); err == io.EOF {
			return
		}
		var req *http.Request
		if bytes.HasPrefix(in, []byte("HEAD")) {
			req = &http.Request{Method: "HEAD"}
		}
		resp, err := http.ReadResponse(br, req)
		if err != nil {
			if bytes.Contains(in, []byte("HEAD")) {
				return // a later HEAD answer has no body; the bytes cannot be split without the requests
			}
			t.Fatalf("unparsable answer: %v in %.200q", err, out)
		}
		body, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil {
			t.Fatalf("reading a body: %v", err)
		}
		switch code := resp.StatusCode; {
		case code == 200:
			checkOKBody(t, resp.Header.Get("Content-Type"), body)
		case code >= 400 && code < 600:
		default:
			t.Fatalf("status %d in %.200q", code, out)
		}
	}
}

// checkOKBody checks a 200 body: IDs one per line, or JSON.
func checkOKBody(t *testing.T, ctype string, body []byte) {
	if len(body) == 0 {
		return // HEAD
	}
	if strings.HasPrefix(ctype, "application/json") {
		if !json.Valid(body) {
			t.Fatalf("invalid JSON %.200q", body)
		}
		return
	}
	for _, l := range strings.Split(strings.TrimSuffix(string(body), "\n"), "\n") {
		if !isDigits(l) || l == "" {
			t.Fatalf("text body line %q is not an ID", l)
		}
	}
}
