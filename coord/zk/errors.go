package zkcoord

import "errors"

// Errors of this package. The coord sentinels (coord.ErrNoFreeWorker,
// coord.ErrFenced, coord.ErrNodeLive, coord.ErrUnreachable, coord.ErrClosed,
// coord.ErrBadRecord) are wrapped wherever they apply; these cover what is
// particular to ZooKeeper.
var (
	// ErrBadName: a cluster, node, leaf or identity name cannot be a znode
	// name, or an identity is not host:port.
	ErrBadName = errors.New("zkcoord: bad name")
	// ErrNotForever: a path given to DeleteForever is not a WorkerID node of
	// this Backend's forever tree.
	ErrNotForever = errors.New("zkcoord: not a forever node")
)
