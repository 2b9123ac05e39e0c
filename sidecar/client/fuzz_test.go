package client

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net"
	"testing"
)

// FuzzReadAnswer feeds arbitrary bytes to a Conn as the server's answer and
// checks that it returns exactly the IDs asked for, or an error, and breaks
// the Conn on anything that is not a clean answer.
func FuzzReadAnswer(f *testing.F) {
	for _, s := range []string{
		"1\n", "1 2 3\n", "12 13\n", "3 2 1\n", "ERR UNAVAILABLE not safe\n", "ERR TOOMANY count 9 exceeds max-batch 5\n",
		"ERR BADREQUEST x\n", "ERR NOPE x\n", "ERR\n", "1  2\n", " 1\n", "99999999999999999999\n", "1\n2\n", "", "E", "1",
	} {
		f.Add([]byte(s), uint8(1))
		f.Add([]byte(s), uint8(3))
	}
	f.Fuzz(func(t *testing.T, answer []byte, n8 uint8) {
		n := int(n8%8) + 1
		cl, srv := net.Pipe()
		defer cl.Close()
		go func() {
			defer srv.Close()
			if _, err := bufio.NewReader(srv).ReadString('\n'); err != nil {
				return
			}
			srv.Write(answer)
		}()
		c := &Conn{nc: cl, r: bufio.NewReader(cl)}
		ids, err := c.AppendIDs(context.Background(), nil, n)
		if err != nil {
			if ids != nil {
				t.Fatalf("error %v with IDs %v", err, ids)
			}
			known := errors.Is(err, ErrUnavailable) || errors.Is(err, ErrBadRequest) || errors.Is(err, ErrTooMany) ||
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
	})
}
