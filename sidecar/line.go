package sidecar

import (
	"bufio"
	"bytes"
	"fmt"
	"strconv"
	"time"

	"go.uber.org/zap"
)

// maxIDText is the most bytes one ID takes in an answer: 19 digits, a
// separator and the final newline.
const maxIDText = 21

// maxReasonBytes caps the reason text in an ERR line.
const maxReasonBytes = 256

// isLineStart reports whether b can start a line-protocol request.
func isLineStart(b byte) bool {
	return '0' <= b && b <= '9' || b == '\n' || b == '\r' || b == '-' || b == '+'
}

// errCode is the line protocol's code for a result.
func errCode(r result) string {
	switch r {
	case resultBadRequest, resultBadMethod:
		return "BADREQUEST"
	case resultNotFound:
		return "NOTFOUND"
	case resultTooMany:
		return "TOOMANY"
	default:
		return "UNAVAILABLE"
	}
}

// serveLine answers line requests in order until the connection ends, the
// framing breaks, or the server shuts down. Answers are flushed only when no
// further request is buffered, so pipelined requests share writes.
func (c *conn) serveLine() {
	s := c.s
	c.w = bufio.NewWriterSize(c.nc, writeBufSize)
	for {
		line, ok := c.readLine()
		if !ok {
			return
		}
		start := time.Now()
		n, tag, seg, res, reason := parseRequest(line, s.cfg.MaxBatch)
		if seg && string(tag) != c.tag { // compared without a copy; the tag is copied when it changes
			c.tag = string(tag)
		}
		sent := 0
		if res == resultOK {
			var ids []int64
			ids, res, reason = s.issue(s.ctx, seg, c.tag, idBuf(c.ids, n), n)
			if res == resultOK {
				if !c.writeIDs(ids) {
					return
				}
				sent = n
			}
			if cap(ids) <= keepIDs {
				c.ids = ids[:0]
			}
		}
		if res != resultOK {
			c.writeErr(res, reason)
		}
		s.metrics.countAs(seg, protoLine, res, sent)
		s.metrics.observe(protoLine, start)
		if res == resultInternal {
			s.log.Error("source broke its contract", zap.String("reason", reason))
		}
	}
}

// readLine returns the next request line, without its "\n" and a trailing
// "\r". The line is valid until the next read. Before it blocks for input it
// flushes the answers so far. It returns false when the connection should
// close: end of input, a timeout, a write error, a line longer than
// MaxLineBytes (which it answers), or a shutdown.
func (c *conn) readLine() ([]byte, bool) {
	limit := c.s.cfg.MaxLineBytes
	for {
		buf, _ := c.r.Peek(c.r.Buffered())
		if i := bytes.IndexByte(buf[:min(len(buf), limit+1)], '\n'); i >= 0 {
			line := buf[:i]
			c.r.Discard(i + 1)
			if len(line) > 0 && line[len(line)-1] == '\r' {
				line = line[:len(line)-1]
			}
			return line, true
		}
		now := time.Now()
		if len(buf) > limit {
			c.writeErr(resultBadRequest, fmt.Sprintf("line longer than %d bytes; closing", limit))
			c.flush(now)
			c.s.metrics.count(protoLine, resultBadRequest, 0)
			return nil, false
		}
		if c.w.Buffered() > 0 && c.flush(now) != nil {
			return nil, false
		}
		if len(buf) == 0 {
			if !c.waitIdle(now) {
				return nil, false
			}
		} else {
			if c.s.inShutdown.Load() {
				return nil, false
			}
			c.waitRest(now)
		}
		_, err := c.r.Peek(len(buf) + 1)
		c.idle.Store(false)
		if err != nil {
			if len(buf) > 0 {
				c.s.log.Debug("line request cut off", zap.Int("bytes", len(buf)), zap.Error(err))
			}
			return nil, false
		}
	}
}

// idBuf returns buf emptied, or a new buffer if buf cannot hold n IDs: sized
// exactly, so that append never over-grows it past keepIDs.
func idBuf(buf []int64, n int) []int64 {
	if cap(buf) < n {
		return make([]int64, 0, n)
	}
	return buf[:0]
}

// writeIDs buffers one answer line. It reports false if a flush failed.
// Consecutive IDs (the usual case inside a tick) are written by incrementing
// the previous one's digits, which is several times cheaper than formatting.
func (c *conn) writeIDs(ids []int64) bool {
	var digits [20]byte
	d := digits[:0]
	b := c.w.AvailableBuffer()
	for i, id := range ids {
		if i == 0 || id != ids[i-1]+1 || !incDecimal(d) {
			d = strconv.AppendInt(digits[:0], id, 10)
		}
		if cap(b)-len(b) < maxIDText {
			c.w.Write(b)
			if c.flush(time.Now()) != nil {
				return false
			}
			b = c.w.AvailableBuffer()
		}
		if i > 0 {
			b = append(b, ' ')
		}
		b = append(b, d...)
	}
	b = append(b, '\n')
	c.w.Write(b)
	return true
}

// incDecimal adds one to the decimal number in d, in place. It reports false,
// leaving d unusable, when the number gains a digit (all nines).
func incDecimal(d []byte) bool {
	for j := len(d) - 1; j >= 0; j-- {
		if d[j] < '9' {
			d[j]++
			return true
		}
		d[j] = '0'
	}
	return false
}

// writeErr buffers "ERR <CODE> <reason>\n". Control bytes in the reason
// become spaces, so the answer stays one line, and it is cut at
// maxReasonBytes.
func (c *conn) writeErr(r result, reason string) {
	if c.w.Available() < maxReasonBytes+32 {
		c.flush(time.Now())
	}
	b := c.w.AvailableBuffer()
	b = append(b, "ERR "...)
	b = append(b, errCode(r)...)
	b = append(b, ' ')
	for i := 0; i < len(reason) && i < maxReasonBytes; i++ {
		ch := reason[i]
		if ch < ' ' || ch == 0x7f {
			ch = ' '
		}
		b = append(b, ch)
	}
	b = append(b, '\n')
	c.w.Write(b)
}

// parseRequest parses a line request: a count alone (see parseCount) asks
// for Snowflake IDs; a count, one space and a tag asks for segment IDs of
// the tag (seg is true). The count of a segment request must not be empty.
// The tag is not checked here: the server checks it with coord.CheckTag,
// the rule's one home. tag points into line.
func parseRequest(line []byte, max int) (n int, tag []byte, seg bool, res result, reason string) {
	sp := bytes.IndexByte(line, ' ')
	if sp < 0 {
		n, res, reason = parseCount(line, max)
		return n, nil, false, res, reason
	}
	count, tag := line[:sp], line[sp+1:]
	if sp == 0 {
		return 0, tag, true, resultBadRequest, "a segment request is a count, one space and a tag; the count is missing"
	}
	n, res, reason = parseCount(count, max)
	return n, tag, true, res, reason
}

// parseCount parses a line request's count (or the count HTTP parameter):
// empty means 1, otherwise decimal digits only, from 1 to max. On failure it
// returns the result (resultBadRequest or resultTooMany) and a reason that
// names the numbers.
func parseCount[T string | []byte](s T, max int) (int, result, string) {
	if len(s) == 0 {
		return 1, resultOK, ""
	}
	n := 0
	for i := 0; i < len(s); i++ {
		d := s[i]
		if d < '0' || d > '9' {
			if i == 0 && d == '-' && len(s) > 1 && isDigits(s[1:]) {
				return 0, resultBadRequest, fmt.Sprintf("count must be at least 1, got %s", clip(string(s)))
			}
			return 0, resultBadRequest, fmt.Sprintf("count must be a decimal number, got %q", clip(string(s)))
		}
		if n <= max { // stop growing once over max, so n cannot overflow
			n = n*10 + int(d-'0')
		}
	}
	switch {
	case n == 0:
		return 0, resultBadRequest, "count must be at least 1, got 0"
	case n > max:
		return 0, resultTooMany, fmt.Sprintf("count %s exceeds max-batch %d", clip(string(s)), max)
	}
	return n, resultOK, ""
}

func isDigits[T string | []byte](s T) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// clip shortens s for an error message.
func clip(s string) string {
	const most = 24
	if len(s) > most {
		return s[:most] + "..."
	}
	return s
}
