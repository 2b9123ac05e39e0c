package client

import "fmt"

// answer parses the IDs of one answer as its bytes arrive: decimal numbers
// of at most 19 digits, each ended by a separator. The line protocol puts a
// space between IDs and a newline after the last, which ends the answer; the
// HTTP endpoints' text body puts a newline after each, and the body's length
// ends it (End). Once dst has room, parsing allocates nothing.
//
// It is the one parser of ID answers: Conn, HTTPClient and IDLines use it.
type answer struct {
	out    []int64 // dst, then this answer's IDs so far
	base   int     // len(dst)
	n      int     // IDs asked for
	id     int64   // the ID being read
	digits int     // of id so far
	sep    byte    // between IDs: ' ' (line protocol) or '\n' (HTTP)
	// increasing makes an ID not above the one before it a protocol error.
	increasing bool
}

// start begins an answer of n IDs, appended to dst.
func (a *answer) start(dst []int64, n int, sep byte, increasing bool) {
	*a = answer{out: dst, base: len(dst), n: n, sep: sep, increasing: increasing}
}

// got returns how many IDs the answer holds so far.
func (a *answer) got() int { return len(a.out) - a.base }

// parse reads the next bytes of the answer. It returns how many it used and
// whether the answer ended: at the newline of a line-protocol answer, which
// may be followed by the next answer. An HTTP body never ends here; all of
// buf is used.
func (a *answer) parse(buf []byte) (used int, end bool, err error) {
	// Locals, written back on the way out: this loop is a load generator's
	// hot path.
	out, id, digits := a.out, a.id, a.digits
	for i, b := range buf {
		switch {
		case '0' <= b && b <= '9' && digits < 19:
			id = id*10 + int64(b-'0')
			digits++
			continue
		case (b == a.sep || b == '\n') && digits > 0 && id >= 0 && len(out)-a.base < a.n:
			if a.increasing && len(out) > a.base && id <= out[len(out)-1] {
				return i, false, fmt.Errorf("%w: ID %d does not increase on %d", ErrProtocol, id, out[len(out)-1])
			}
			out = append(out, id)
			id, digits = 0, 0
			if b == a.sep {
				continue
			}
			// A line-protocol answer ends at its newline.
			a.out, a.id, a.digits = out, 0, 0
			if got := len(out) - a.base; got != a.n {
				return i + 1, true, fmt.Errorf("%w: got %d IDs, asked for %d", ErrProtocol, got, a.n)
			}
			return i + 1, true, nil
		}
		return i, false, fmt.Errorf("%w: unexpected byte %q in an ID answer", ErrProtocol, b)
	}
	a.out, a.id, a.digits = out, id, digits
	return len(buf), false, nil
}

// end ends an HTTP body: it must have held n whole IDs.
func (a *answer) end() ([]int64, error) {
	if a.digits != 0 || a.got() != a.n {
		return a.out[:a.base], fmt.Errorf("%w: got %d whole IDs, asked for %d", ErrProtocol, a.got(), a.n)
	}
	return a.out, nil
}

// IDLines parses the text body of GET /id and GET /ids?count=N, n decimal
// IDs one per line, in pieces as it arrives, for a client that reads the
// body itself (a load generator). It is not safe for concurrent use; one
// IDLines may parse any number of bodies in turn.
type IDLines struct{ a answer }

// Start begins a body of n IDs, to be appended to dst. With increasing
// set, an ID not above the one before it in the body is a protocol error;
// a caller that counts those itself passes false.
func (l *IDLines) Start(dst []int64, n int, increasing bool) {
	l.a.start(dst, n, '\n', increasing)
}

// Parse parses the next piece of the body. An error wraps ErrProtocol.
func (l *IDLines) Parse(piece []byte) error {
	_, _, err := l.a.parse(piece)
	return err
}

// End ends the body and returns dst with the n IDs appended, or dst and an
// error wrapping ErrProtocol if the body held another number of whole IDs.
func (l *IDLines) End() ([]int64, error) { return l.a.end() }

// parseIDLines appends the n increasing IDs of a whole text body to dst.
func parseIDLines(dst []int64, body []byte, n int) ([]int64, error) {
	var a answer
	a.start(dst, n, '\n', true)
	if _, _, err := a.parse(body); err != nil {
		return dst, err
	}
	return a.end()
}
