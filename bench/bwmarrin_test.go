package bench

import (
	"sync"

	bwsnowflake "github.com/bwmarrin/snowflake"
)

// bwmarrinMu serialises changes to bwmarrin/snowflake's package-level widths.
var bwmarrinMu sync.Mutex

// newBwmarrinNode builds a bwmarrin/snowflake node with the given widths.
// The library reads its widths from the package variables NodeBits and
// StepBits when NewNode runs, so this sets them, builds the node, and puts
// them back. NewNode also recomputes the deprecated package-level masks that
// ID.Node and ID.Step use; a throwaway node at the restored widths recomputes
// them again. The returned node keeps its own copy of the widths.
//
// bwmarrin documents that NodeBits and StepBits share 22 bits, which keeps 41
// time bits of 1 ms from its epoch.
func newBwmarrinNode(nodeBits, stepBits uint8, node int64) (*bwsnowflake.Node, error) {
	bwmarrinMu.Lock()
	defer bwmarrinMu.Unlock()
	oldNode, oldStep := bwsnowflake.NodeBits, bwsnowflake.StepBits
	bwsnowflake.NodeBits, bwsnowflake.StepBits = nodeBits, stepBits
	n, err := bwsnowflake.NewNode(node)
	bwsnowflake.NodeBits, bwsnowflake.StepBits = oldNode, oldStep
	if _, rerr := bwsnowflake.NewNode(0); rerr != nil && err == nil {
		err = rerr
	}
	return n, err
}
