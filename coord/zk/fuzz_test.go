package zkcoord

import (
	"encoding/binary"
	"testing"
)

// The store's bytes come from outside: another process, an operator, Leaf.
// No input may panic a parser, and what decodes must be usable.

func FuzzDecodeEndpoint(f *testing.F) {
	f.Add([]byte(leafJSON("10.0.0.5", "8080", 1700000000000)))
	f.Add([]byte(`{"ip":"h","port":"1"}`))
	f.Add([]byte(`{"timestamp":-1}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		e, err := decodeEndpoint("/f", data)
		if err == nil && e.Timestamp < 0 {
			t.Fatalf("decoded a negative W %d", e.Timestamp)
		}
		if err == nil {
			back, err := decodeEndpoint("/f", encode(e))
			if err != nil || back != e {
				t.Fatalf("round trip of %+v = %+v, %v", e, back, err)
			}
		}
	})
}

func FuzzDecodeHighWater(f *testing.F) {
	f.Add([]byte(`{"w_unix_ms":12,"holder":"a"}`))
	f.Add([]byte(`{"w_unix_ms":1e3}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		h, err := decodeHighWater("/f", data)
		if err == nil && h.UnixMS < 0 {
			t.Fatalf("decoded a negative W %d", h.UnixMS)
		}
	})
}

func FuzzParseForeverName(f *testing.F) {
	f.Add("10.0.0.5:7070-0000000003")
	f.Add("idcoord.reserved-0000000000")
	f.Add("a-b-c")
	f.Fuzz(func(t *testing.T, name string) {
		id, seq, ok := parseForeverName(name)
		if !ok {
			return
		}
		if seq < 0 || id == "" {
			t.Fatalf("parseForeverName(%q) = %q, %d", name, id, seq)
		}
		if id2, seq2, ok2 := parseForeverName(newPaths("c", "l").foreverPrefix(id)[len("/snowflake/l/forever/"):] + name[len(name)-seqDigits:]); !ok2 || id2 != id || seq2 != seq {
			t.Fatalf("re-parse of %q = %q, %d, %v", name, id2, seq2, ok2)
		}
	})
}

func FuzzParseConnectReply(f *testing.F) {
	ok := make([]byte, connectReplyLen)
	binary.BigEndian.PutUint32(ok[0:], 36)
	binary.BigEndian.PutUint32(ok[8:], 4000)
	binary.BigEndian.PutUint64(ok[12:], 77)
	f.Add(ok)
	f.Add([]byte{0, 0, 0, 1})
	f.Fuzz(func(t *testing.T, b []byte) {
		r, ok := parseConnectReply(b)
		if ok && r.timeout < 0 {
			t.Fatalf("negative timeout %v from %x", r.timeout, b)
		}
	})
}
