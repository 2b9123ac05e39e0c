package client

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net"
	"strconv"
	"strings"
	"testing"
)

// FuzzAnswer feeds arbitrary bytes to the ID answer parser: as the server's
// line-protocol answer to a Conn, which must return exactly the IDs asked
// for or an error, and break the Conn on anything that is not a clean
// answer (asked as a Snowflake request, or as a segment request when n is
// odd); and as an HTTP text body, which must fail with ErrProtocol or
// yield exactly n increasing, non-negative IDs that print back to it.
func FuzzAnswer(f *testing.F) {
	for _, s := range []string{
		"1\n", "1 2 3\n", "12 13\n", "3 2 1\n", "ERR UNAVAILABLE not safe\n", "ERR TOOMANY count 9 exceeds max-batch 5\n",
		"ERR BADREQUEST x\n", "ERR NOTFOUND coord: no such segment tag: \"orders\"\n", "ERR NOTFOUND\n", "ERR NOPE x\n", "ERR\n", "1  2\n", " 1\n", "99999999999999999999\n", "1\n2\n", "", "E", "1",
	} {
		f.Add([]byte(s), uint8(1), false)
		f.Add([]byte(s), uint8(3), false)
	}
	for _, s := range []string{"1\n", "1\n2\n", "9223372036854775807\n", "", "\n", "1\r\n", "99999999999999999999\n", "3\n2\n"} {
		f.Add([]byte(s), uint8(0), true)
		f.Add([]byte(s), uint8(1), true)
	}
	f.Fuzz(func(t *testing.T, answer []byte, n8 uint8, http bool) {
		if http {
			fuzzIDLines(t, answer, int(n8)+1)
		} else {
			fuzzLineAnswer(t, answer, int(n8%8)+1)
		}
	})
}

// fuzzLineAnswer gives answer to a Conn that asked for n IDs.
func fuzzLineAnswer(t *testing.T, answer []byte, n int) {
	cl, srv := net.Pipe()
	defer cl.Close()
	go func() {
		defer srv.Close()
		req, err := bufio.NewReader(srv).ReadString('\n')
		if err != nil {
			return
		}
		if want := wantRequest(n); req != want {
			t.Errorf("request %q, want %q", req, want)
		}
		srv.Write(answer)
	}()
	c := &Conn{nc: cl, r: bufio.NewReader(cl)}
	var ids []int64
	var err error
	if n%2 == 1 {
		ids, err = c.AppendSegmentIDs(context.Background(), fuzzTag, nil, n)
	} else {
		ids, err = c.AppendIDs(context.Background(), nil, n)
	}
	if err != nil {
		if ids != nil {
			t.Fatalf("error %v with IDs %v", err, ids)
		}
		known := errors.Is(err, ErrUnavailable) || errors.Is(err, ErrBadRequest) || errors.Is(err, ErrTooMany) || errors.Is(err, ErrNotFound) ||
			errors.Is(err, ErrProtocol) || errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) ||
			errors.Is(err, io.ErrClosedPipe)
		if !known {
			t.Fatalf("untyped error %v", err)
		}
		if errors.Is(err, ErrProtocol) && c.err == nil {
			t.Fatalf("protocol error %v left the Conn usable", err)
		}
		return
	}
	if len(ids) != n {
		t.Fatalf("got %d IDs, asked for %d", len(ids), n)
	}
	for i, id := range ids {
		if id < 0 || (i > 0 && id <= ids[i-1]) {
			t.Fatalf("IDs %v from %q are not positive and increasing", ids, answer)
		}
	}
}

// fuzzTag is the tag of fuzzLineAnswer's segment requests.
const fuzzTag = "orders"

// wantRequest is the line fuzzLineAnswer's request for n IDs must be.
func wantRequest(n int) string {
	if n%2 == 1 {
		return strconv.Itoa(n) + " " + fuzzTag + "\n"
	}
	return strconv.Itoa(n) + "\n"
}

// fuzzIDLines parses body as an HTTP text answer of n IDs.
func fuzzIDLines(t *testing.T, body []byte, n int) {
	ids, err := parseIDLines(nil, body, n)
	if err != nil {
		if !errors.Is(err, ErrProtocol) || len(ids) != 0 {
			t.Fatalf("error %v with %d IDs; want ErrProtocol and none", err, len(ids))
		}
		return
	}
	var b []byte
	for i, id := range ids {
		if id < 0 || i > 0 && id <= ids[i-1] {
			t.Fatalf("IDs %v not increasing and non-negative", ids)
		}
		b = strconv.AppendInt(b, id, 10)
		b = append(b, '\n')
	}
	if len(ids) != n || !sameNumbers(b, body) {
		t.Fatalf("body %q gave %v (n %d)", body, ids, n)
	}
}

// sameNumbers reports whether two bodies of decimal lines hold the same
// numbers, ignoring leading zeros.
func sameNumbers(a, b []byte) bool {
	as := strings.Split(string(a), "\n")
	bs := strings.Split(string(b), "\n")
	if len(as) != len(bs) {
		return false
	}
	for i := range as {
		if strings.TrimLeft(as[i], "0") != strings.TrimLeft(bs[i], "0") {
			return false
		}
	}
	return true
}
