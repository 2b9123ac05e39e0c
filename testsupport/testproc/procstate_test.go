package testproc

import (
	"bytes"
	"testing"
)

func TestProcState(t *testing.T) {
	tests := []struct {
		stat  string
		want  byte
		valid bool
	}{
		{stat: "1234 (etcd) S 1 1234 1234 0 -1", want: 'S', valid: true},
		{stat: "1234 (java) S 1 1234 1234 0 -1", want: 'S', valid: true},
		{stat: "1234 (etcd) T 1 1234", want: 'T', valid: true},
		{stat: "1234 (java) T 1 1234", want: 'T', valid: true},
		{stat: "77 (a) b (c)) R 1", want: 'R', valid: true},
		{stat: "1234 (etcd)", valid: false},
		{stat: "1234 (java) ", valid: false},
		{stat: "1234 (etcd) ", valid: false},
		{stat: "1234 (java)", valid: false},
		{stat: "1234 etcd S", valid: false},
		{stat: "1234 java S", valid: false},
		{stat: "", valid: false},
	}
	for _, tt := range tests {
		got, valid := procState([]byte(tt.stat))
		if valid != tt.valid || (valid && got != tt.want) {
			t.Errorf("procState(%q) = %q, %v; want %q, %v", tt.stat, got, valid, tt.want, tt.valid)
		}
	}
}

func FuzzProcState(f *testing.F) {
	f.Add([]byte("1234 (etcd) S 1 1234"))
	f.Add([]byte("1234 (java) S 1 1234"))
	f.Add([]byte("1 ()) T"))
	f.Add([]byte(")"))
	f.Fuzz(func(t *testing.T, stat []byte) {
		state, ok := procState(stat)
		if ok && !bytes.Contains(stat, []byte{')', ' ', state}) {
			t.Fatalf("procState(%q) = %q, which does not follow \") \"", stat, state)
		}
	})
}
