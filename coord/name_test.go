package coord_test

import (
	"strings"
	"testing"

	"github.com/idcoord/idcoord/coord"
)

func TestCheckName(t *testing.T) {
	tests := []struct {
		name string
		says string // a part of the error; "" for none
	}{
		{"default", ""},
		{"web-0", ""},
		{"_x.y:z-1", ""},
		{"10.0.0.5:7070", ""},
		{strings.Repeat("a", coord.MaxNameBytes), ""},
		{"", "must be 1 to 253 letters"},
		{".", "relative path element"},
		{"..", "relative path element"},
		{"-x", `starts with '-'`},
		{".hidden", `starts with '.'`},
		{"a/b", "contains '/'"},
		{"a b", "U+0020"},
		{"a\x01", "U+0001"},
		{"ünïcode", "U+00FC"},
		{string([]byte{0xff}), "not valid UTF-8"},
		{strings.Repeat("a", coord.MaxNameBytes+1), "is 254 bytes long; the limit is 253"},
	}
	for _, tt := range tests {
		err := coord.CheckName(tt.name)
		switch {
		case tt.says == "" && err != nil:
			t.Errorf("CheckName(%q) = %v, want nil", tt.name, err)
		case tt.says != "" && (err == nil || !strings.Contains(err.Error(), tt.says)):
			t.Errorf("CheckName(%q) = %v, want an error saying %q", tt.name, err, tt.says)
		case err != nil && !strings.Contains(err.Error(), "must be 1 to 253 letters, digits and . _ : -"):
			t.Errorf("CheckName(%q) = %v, which does not state the rule", tt.name, err)
		}
	}
}
