// Package zkcoord implements the coord contract on ZooKeeper
// (go-zookeeper/zk). It lives in the folder coord/zk but is named zkcoord,
// so that it does not clash with the client library's package zk; importers
// need no alias.
//
// Znodes under /idcoord/<cluster>:
//
//	workers/<wid>          ephemeral: the claim, {"node","admin","since"}
//	hw/<wid>               persistent: W in ephemeral mode, {"w_unix_ms": N, "holder": "node"}
//	leaf_forever/<node>    persistent: clock report, {"timestamp": ms, "worker_id": N, "admin": "host:port"}
//	leaf_temporary/<node>  ephemeral: peer record, {"node","admin","worker_id"}
//	segments/<tag>         persistent: segment mode's record, {"max_id","step","description","update_time"},
//	                       compared by its znode version
//
// and, in sequential mode, Meituan Leaf's tree:
//
//	/snowflake/<leaf.name>/forever/<ip:port>-<%010d>   persistent-sequential: {"ip":"…","port":"…","timestamp":N}
//
// # Modes
//
// Sequential (the default) is Leaf's scheme: an identity registers one
// persistent-sequential znode and its sequence number is its WorkerID for
// good; a restart finds the znode again by its name prefix. The identity is
// Config.Identity, an ip:port as Leaf uses, or else the claim's node name. The znode's data
// is byte for byte what Leaf writes, and its timestamp field carries W, so a
// Leaf fleet keeps its WorkerIds when it moves to idcoord, and a WorkerId
// that Leaf bound to 0 stays 0 (with a warning). When idcoord creates the
// forever znode itself, it creates the marker idcoord.reserved-0000000000 in
// the same multi, so sequence 0 is never handed out, and it consumes reserved
// WorkerIDs with further markers. Sequence numbers are never reused, so
// every new identity uses one up: the exhaustion error says so and names the
// remedies (stable identities, or ephemeral mode). Two processes that start
// at once with one identity may both register it; each then lists the tree
// again, and the one whose registration is not the lowest deletes its own
// (at version 0, so never one a claim has written) and claims the lowest, so
// one WorkerId survives and the process that loses its claim is refused.
//
// Ephemeral mode recycles WorkerIDs: a claim is the ephemeral workers/<wid>,
// found as in the etcd backend (sticky WorkerID from leaf_forever/<node>,
// StatefulSet ordinal, then one drawn from the free ones; see coord.Search),
// and W lives in hw/<wid>. An acquisition sends a bounded number of
// requests whatever the occupancy: the node's last report and the listing
// of workers/ together, the chosen WorkerID's W (created the first time it
// is used) and the claim's multi, about four; a claim lost to a racing node
// costs a look at the holder and a fresh listing, sent together, and the
// next WorkerID's W and multi. A preferred WorkerID that the listing shows
// held costs one look at its holder (see below). Backend.AcquireOps counts
// them.
//
// # The claim, and why two holders never overlap
//
// In both modes a claim is one multi: create leaf_temporary/<node> and
// workers/<wid> (both ephemeral) and rewrite the W znode unchanged at the
// version just read. The rewrite is the fencing step: the W the new holder
// read is the latest one, since nothing was written between the read and the
// compare-and-swap, and it moves the version, so the previous holder's next
// Reserve fails. Reserve is a version compare-and-swap too. A holder's W and
// the next holder's floor therefore never overlap, whatever the session
// timing, and this holds even for two processes that wrongly share one
// identity in sequential mode. Release may lower W to the time of the last
// ID issued, never below the W read at the claim, so that the next holder
// need not wait out the unused window. workers/<wid> makes a second process with the
// same identity (or the same WorkerID) fail with coord.ErrNodeLive, and
// leaf_temporary/<node> does the same for a second process with the same
// node name; both are also what a forever znode's liveness is read from
// (ForeverNode.Live). The same node asking again through the same Backend
// while it holds a WorkerID (a fresh one, after a large backward clock
// step) is no second process: its claim rewrites its own
// leaf_temporary/<node>, at the version read, to name the new WorkerID, and
// the old lease's release then leaves the record alone. In sequential mode
// the identity has no other WorkerID to give, and the claim fails with
// coord.ErrNoFreeWorker.
//
// Every write of W is a multi that also checks that workers/<wid> exists, so
// an operator's revoke (deleting it) fences the holder at its next write of
// W, within a second for a node that issues IDs, at no extra request. A
// lease whose W is not being written looks at workers/<wid> once per
// session timeout instead (no ZooKeeper watch: see watch.go). Neither is what
// keeps IDs unique: the version compare-and-swap of W is, and a new
// holder's claim rewrites W.
//
// # Session fence
//
// A lease's Deadline is the last instant the leader is known to have held
// the session, plus the negotiated session timeout, minus a margin. That
// instant is the send time of the latest write or sync the server answered
// in the session (the Backend sends a sync every third of the timeout;
// claims, Reserve and reports are writes), or the time a connection was made
// that the server then accepted the session on (an ensemble member asks its
// leader before it accepts a session). A server hands writes and syncs to
// the leader, which checks first that the session is live, so an answer
// proves the session live at the leader after the request was sent. A
// standalone server counts the timeout from when it receives a request,
// later still, so it cannot expire the session before the Deadline (for an
// ensemble's leader, see the HAZARD below). Reads prove nothing
// and do not move the Deadline: a follower answers them from its own copy,
// and one cut off from its leader goes on answering them for up to
// syncLimit × tickTime while the leader, with the rest of the ensemble, may
// expire the session. While disconnected the Deadline stays put; once the
// session expires, or is replaced by a new one after expiry, every lease of
// it is lost with coord.ErrFenced and the node acquires again on the new
// session. From the moment the Backend learns that the session ended, even
// before its leases are told, Deadline is the session's last fence or that
// moment, whichever is earlier: always past, so a caller that reads the
// clock and then compares it with the Deadline never issues. go-zookeeper
// does not expose the negotiated timeout, so the Backend reads it from the
// server's connect reply on the wire.
//
// A session that no server takes back for its fence plus one more timeout
// is given up: the Backend closes the client and starts a new one with no
// session, which fences every lease of the old session as a replacement
// does. By then the session has expired at any server that knew it, or no
// server knows it: a server restored from an older data folder refuses a
// client that has seen later transactions than it has, without an answer,
// and go-zookeeper retries with the same session for good. The new session
// also forgets which directories exist (a restored store may lack them).
//
// HAZARD: in an ensemble the leader hears of a session's requests through
// the follower the client talks to, which relays them with its answer to the
// leader's ping, every half tick. A follower cut off just after a sync was
// answered may not relay it; the leader then counts from the requests it
// relayed before, up to about a tick plus the gap between two requests of
// the node earlier than the sync's send time. That gap is at most the sync
// period, a third of the timeout, and about a second while a node holds a
// WorkerId (it writes W every second); the holder does not poll its claim in
// between. With ZooKeeper's defaults (tickTime 2s, 6s sessions) the worst case
// is about 3-4 s early; the default margin, a sixth of the timeout, is half
// a tick: it covers the ping period, not that worst case. There, as
// everywhere, W and not the fence keeps IDs unique.
//
// HAZARD: a write of W whose answer is lost with the connection may or may
// not have been applied. The lease remembers it and, before its next write,
// reads the znode: the version it wrote at means not applied, the next
// version with exactly its own record means applied, anything else means
// another holder wrote and the lease is fenced.
//
// HAZARD: Leaf stores its clock, not a reserved window, and reports it only
// every 3 s, so the timestamp of a znode Leaf wrote last can be up to about
// 3 s behind IDs Leaf issued (Leaf issue #216). Taking such a WorkerId over
// right after Leaf stopped is safe only if the clock has not stepped back.
//
// HAZARD: a Leaf process and an idcoord process must never run with the same
// ip:port: Leaf writes the znode without a version check.
//
// In ephemeral mode one bad record costs one WorkerID, as on etcd
// (coord.Skipped): a W that cannot be read, or a workers/<wid> that is not
// ephemeral (no session end removes it), is logged with its path, counted
// (BadRecords) and passed over. The listing of workers/ gives names only,
// so a stuck znode is met, and reported, only where the node looks at it:
// its sticky or ordinal WorkerID, or one it raced for; elsewhere it counts
// as held without being reported. Holdings marks it Stuck, and Revoke
// deletes it.
//
// # Peers
//
// Peers reads every record under leaf_temporary/. SamplePeers
// (coord.PeerSampler), which the peer clock check uses, lists the names (one
// request) and reads only the k records it draws: 1 + k requests whatever
// the cluster's size.
package zkcoord
