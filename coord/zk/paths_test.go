package zkcoord

import (
	"errors"
	"testing"
)

func TestParseForeverName(t *testing.T) {
	tests := []struct {
		name     string
		identity string
		seq      int64
		ok       bool
	}{
		{"10.0.0.5:7070-0000000003", "10.0.0.5:7070", 3, true},
		{"idcoord.reserved-0000000000", markerIdentity, 0, true},
		{"pod-0.svc:7070-0000000012", "pod-0.svc:7070", 12, true},
		{"[fd00::1]:80-2147483647", "[fd00::1]:80", 2147483647, true},
		{"web-0-0000000007", "web-0", 7, true},
		{"10.0.0.5:7070-000000003", "", 0, false},
		{"10.0.0.5:7070-00000000x3", "", 0, false},
		{"-0000000003", "", 0, false},
		{"10.0.0.5:7070", "", 0, false},
		{"a--000000001", "", 0, false},
		{"", "", 0, false},
	}
	for _, tt := range tests {
		id, seq, ok := parseForeverName(tt.name)
		if id != tt.identity || seq != tt.seq || ok != tt.ok {
			t.Errorf("parseForeverName(%q) = %q, %d, %v; want %q, %d, %v", tt.name, id, seq, ok, tt.identity, tt.seq, tt.ok)
		}
	}
}

func TestCheckName(t *testing.T) {
	tests := []struct {
		in string
		ok bool
	}{
		{"node-1", true},
		{"10.0.0.5:7070", true},
		{"ünïcode", true},
		{"", false},
		{".", false},
		{"..", false},
		{"a/b", false},
		{"a\x00b", false},
		{"a\u0085", false},
		{"a\ufff5", false},
		{string([]byte{0xff}), false},
	}
	for _, tt := range tests {
		err := checkName("x", tt.in)
		if (err == nil) != tt.ok || (err != nil && !errors.Is(err, ErrBadName)) {
			t.Errorf("checkName(%q) = %v, want ok=%v", tt.in, err, tt.ok)
		}
	}
}

func TestPaths(t *testing.T) {
	p := newPaths("prod", "leaf-ids")
	for got, want := range map[string]string{
		p.worker(7):                      "/idcoord/prod/workers/7",
		p.highWater(7):                   "/idcoord/prod/hw/7",
		p.report("n1"):                   "/idcoord/prod/leaf_forever/n1",
		p.peer("n1"):                     "/idcoord/prod/leaf_temporary/n1",
		p.foreverPrefix("10.0.0.5:7070"): "/snowflake/leaf-ids/forever/10.0.0.5:7070-",
		p.foreverPrefix(markerIdentity):  "/snowflake/leaf-ids/forever/idcoord.reserved-",
	} {
		if got != want {
			t.Errorf("path %s, want %s", got, want)
		}
	}
}
