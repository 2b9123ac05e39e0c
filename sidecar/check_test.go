package sidecar

import (
	"os"
	"strings"
	"testing"

	"github.com/idcoord/idcoord/sidecar/sidecartest"
)

// TestChecks covers the checks a caller applies to its users' values
// before it builds a Config or calls Listen.
func TestChecks(t *testing.T) {
	tests := []struct {
		name string
		err  error
		says string // a part of the error; "" for none
	}{
		{"path", CheckSocketPath("/run/idcoord/idcoord.sock"), ""},
		{"longest path", CheckSocketPath("/" + strings.Repeat("s", MaxSocketPath-1)), ""},
		{"path too long", CheckSocketPath("/" + strings.Repeat("s", MaxSocketPath)), "is 108 bytes; a Unix socket path holds at most 107"},
		{"empty path", CheckSocketPath(""), "must not be empty"},
		{"abstract path", CheckSocketPath("@idcoord"), "abstract socket names"},
		{"NUL in path", CheckSocketPath("/a\x00b"), "NUL"},
		{"mode", CheckSocketMode(0o660), ""},
		{"mode beyond permissions", CheckSocketMode(os.ModeSetuid | 0o660), "above 0777"},
		{"batch of one", CheckMaxBatch(1), ""},
		{"largest batch", CheckMaxBatch(MaxMaxBatch), ""},
		{"empty batch", CheckMaxBatch(0), "outside 1..1000000"},
		{"batch too big", CheckMaxBatch(MaxMaxBatch + 1), "outside 1..1000000"},
		{"no connections", CheckMaxConns(0), "outside 1..1048576"},
		{"line too short", CheckMaxLineBytes(MinMaxLineBytes - 1), "outside 8..4096"},
		{"line too long", CheckMaxLineBytes(MaxMaxLineBytes + 1), "outside 8..4096"},
	}
	for _, tt := range tests {
		switch {
		case tt.says == "" && tt.err != nil:
			t.Errorf("%s: %v, want nil", tt.name, tt.err)
		case tt.says != "" && (tt.err == nil || !strings.Contains(tt.err.Error(), tt.says)):
			t.Errorf("%s: %v, want an error saying %q", tt.name, tt.err, tt.says)
		}
	}
}

// TestValidateUsesTheChecks: Config.Validate refuses a set field that its
// check refuses, and takes a zero field as its default.
func TestValidateUsesTheChecks(t *testing.T) {
	src := sidecartest.NewSource(t, 1)
	if err := (Config{Source: src}).Validate(); err != nil {
		t.Fatalf("zero fields: %v", err)
	}
	for _, c := range []Config{
		{Source: src, MaxBatch: MaxMaxBatch + 1},
		{Source: src, MaxConns: MaxMaxConns + 1},
		{Source: src, MaxLineBytes: MaxMaxLineBytes + 1},
	} {
		if err := c.Validate(); err == nil || !strings.Contains(err.Error(), "outside") {
			t.Errorf("%+v: Validate() = %v, want an out-of-range error", c, err)
		}
	}
}
