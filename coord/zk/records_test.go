package zkcoord

import (
	"encoding/binary"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/idcoord/idcoord/coord"
)

// leafJSON is the data Leaf's Jackson ObjectMapper writes for an Endpoint.
func leafJSON(ip, port string, ts int64) string {
	return fmt.Sprintf(`{"ip":"%s","port":"%s","timestamp":%d}`, ip, port, ts)
}

func TestEndpointLeafBytes(t *testing.T) {
	got := string(encode(endpoint{IP: "10.0.0.5", Port: "7070", Timestamp: 1700000000123}))
	if want := leafJSON("10.0.0.5", "7070", 1700000000123); got != want {
		t.Fatalf("encode = %s, want Leaf's %s", got, want)
	}
}

func TestDecodeEndpoint(t *testing.T) {
	tests := []struct {
		name string
		data string
		want endpoint
		bad  bool
	}{
		{"leaf", leafJSON("10.0.0.5", "8080", 1700000000000), endpoint{"10.0.0.5", "8080", 1700000000000}, false},
		{"field order", `{"timestamp":5,"port":"1","ip":"h"}`, endpoint{"h", "1", 5}, false},
		{"extra field", `{"ip":"h","port":"1","timestamp":5,"x":1}`, endpoint{"h", "1", 5}, false},
		{"no timestamp", `{"ip":"h","port":"1"}`, endpoint{}, true},
		{"negative", `{"ip":"h","port":"1","timestamp":-1}`, endpoint{}, true},
		{"port as number", `{"ip":"h","port":1,"timestamp":5}`, endpoint{}, true},
		{"timestamp as string", `{"ip":"h","port":"1","timestamp":"5"}`, endpoint{}, true},
		{"empty", ``, endpoint{}, true},
		{"null", `null`, endpoint{}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := decodeEndpoint("/p", []byte(tt.data))
			if tt.bad {
				if !errors.Is(err, coord.ErrBadRecord) {
					t.Fatalf("decodeEndpoint(%s) = %+v, %v; want ErrBadRecord", tt.data, got, err)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("decodeEndpoint(%s) = %+v, %v; want %+v", tt.data, got, err, tt.want)
			}
		})
	}
}

func TestDecodeHighWater(t *testing.T) {
	tests := []struct {
		data string
		want highWater
		bad  bool
	}{
		{`{"w_unix_ms":12,"holder":"a"}`, highWater{12, "a"}, false},
		{`{"w_unix_ms":0,"holder":""}`, highWater{}, false},
		{`{"holder":"a"}`, highWater{}, true},
		{`{"w_unix_ms":-3}`, highWater{}, true},
		{`[1]`, highWater{}, true},
	}
	for _, tt := range tests {
		got, err := decodeHighWater("/p", []byte(tt.data))
		if tt.bad != (err != nil) || got != tt.want {
			t.Errorf("decodeHighWater(%s) = %+v, %v", tt.data, got, err)
		}
	}
}

func TestCeilMilli(t *testing.T) {
	base := time.UnixMilli(1700000000000)
	tests := []struct {
		in   time.Time
		want int64
	}{
		{base, 1700000000000},
		{base.Add(time.Nanosecond), 1700000000001},
		{base.Add(999 * time.Microsecond), 1700000000001},
		{time.UnixMilli(0), 0},
	}
	for _, tt := range tests {
		if got := ceilMilli(tt.in); got != tt.want {
			t.Errorf("ceilMilli(%v) = %d, want %d", tt.in, got, tt.want)
		}
	}
}

func TestParseConnectReply(t *testing.T) {
	reply := func(frame, ms int32, session int64) []byte {
		b := make([]byte, connectReplyLen)
		binary.BigEndian.PutUint32(b[0:], uint32(frame))
		binary.BigEndian.PutUint32(b[8:], uint32(ms))
		binary.BigEndian.PutUint64(b[12:], uint64(session))
		return b
	}
	tests := []struct {
		name string
		in   []byte
		want connectReply
		ok   bool
	}{
		{"granted", reply(36, 4000, 0x1234), connectReply{4 * time.Second, 0x1234}, true},
		{"expired", reply(36, 0, 0), connectReply{}, true},
		{"short frame", reply(8, 4000, 1), connectReply{}, false},
		{"negative timeout", reply(36, -1, 1), connectReply{}, false},
		{"too few bytes", reply(36, 4000, 1)[:19], connectReply{}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := parseConnectReply(tt.in)
			if ok != tt.ok || got != tt.want {
				t.Fatalf("parseConnectReply = %+v, %v; want %+v, %v", got, ok, tt.want, tt.ok)
			}
		})
	}
}
