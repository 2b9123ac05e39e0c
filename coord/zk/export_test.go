package zkcoord

// Exported for the tests in package zkcoord_test, which run the root
// package's Node on this backend.

// LeafEndpoint is the data of a forever znode as Leaf writes it.
type LeafEndpoint = endpoint

// CreateLeafTree builds /snowflake/<leaf>/forever as Leaf does.
var CreateLeafTree = createLeafTree
