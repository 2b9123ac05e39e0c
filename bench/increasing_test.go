package bench

import (
	"testing"

	bwsnowflake "github.com/bwmarrin/snowflake"
)

// TestIncreasing checks that every benchmark subject, set up exactly as the
// benchmarks set it up, issues strictly increasing IDs across several ticks'
// worth of sequence.
func TestIncreasing(t *testing.T) {
	for _, s := range subjects {
		t.Run(s.name, func(t *testing.T) {
			if s.baseline {
				t.Skip("a baseline does not issue IDs")
			}
			n := 10000 // more than two ticks of 12-bit sequence
			if s.capacity > 0 && s.capacity < 1e6 {
				n = 600 // more than two ticks of sonyflake's 8-bit sequence
			}
			next := s.open(t)
			prev, err := next()
			if err != nil {
				t.Fatal(err)
			}
			for i := 1; i < n; i++ {
				id, err := next()
				if err != nil {
					t.Fatalf("ID %d: %v", i, err)
				}
				if id <= prev {
					t.Fatalf("ID %d is %d, not after the previous ID %d", i, id, prev)
				}
				prev = id
			}
		})
	}
}

// TestBwmarrinGlobalsRestored checks that building the uncapped bwmarrin node
// leaves the library's package-level widths as they were.
func TestBwmarrinGlobalsRestored(t *testing.T) {
	before := [2]uint8{bwsnowflake.NodeBits, bwsnowflake.StepBits}
	n, err := newBwmarrinNode(1, 21, 1)
	if err != nil {
		t.Fatal(err)
	}
	if after := [2]uint8{bwsnowflake.NodeBits, bwsnowflake.StepBits}; after != before {
		t.Fatalf("NodeBits, StepBits = %v after building a node, want %v", after, before)
	}
	id := n.Generate()
	if got := id.Int64() >> 21 & 1; got != 1 {
		t.Fatalf("node field of %d is %d at 1 node bit, 21 step bits; want 1", id, got)
	}
}
