// Package etcd implements the coord contract on etcd (client v3).
//
// Keys, relative to the cluster prefix /idcoord/<cluster>/ (applied through
// the client's namespace support, so no key can escape it):
//
//	workers/<wid>         holder record, under the holder's lease
//	hw/<wid>              W, persistent, {"w_unix_ms": N, "holder": "node"}
//	leaf_forever/<node>   clock report, persistent
//	leaf_temporary/<node> peer record, under the lease
//
// # Claiming and fencing
//
// A WorkerID is claimed by one transaction,
// If(CreateRevision(workers/<wid>) == 0), that puts the holder record and the
// peer record under a fresh lease and reads hw/<wid> in the same round trip.
// The same transaction requires the peer record leaf_temporary/<node> to be
// absent (or under another lease of the same client), so a node name is live
// in one process at a time: a second one gets coord.ErrNodeLive.
// The fencing token is the pair (create revision of workers/<wid>, lease
// ID): every write of W compares both, so a holder that lost its key can
// never move W again, and a new holder that read W at claim time issues only
// above it. The revision alone is not enough: etcd restored from an older
// backup hands out the same revisions again, so a holder the store forgot
// could match a new holder's claim. The lease ID is not repeated: the
// restored store does not know leases granted after its backup, and a new
// grant carries the server's start time.
//
// HAZARD: the store may go back in time. A holder that reaches a restored
// store is fenced by its lease ID, unknown there; each client also keeps the
// cluster ID it has seen (storeHistory), and a new one ends every holding
// claimed before (ErrStoreWentBack). Revisions are not compared: a member
// that rejoins after a cut can answer below a revision seen before. A holder cut off
// from it keeps issuing up to its own W, which the restored store no longer
// shows, so a new holder that reads the older W could repeat its IDs. This
// package cannot close that gap; the node does, with a floor on every claim
// that covers what a forgotten holder may still issue (package idcoord, "A
// store that forgets": the clock at the claim + Window + 2×MaxDrift).
//
// The node sends its own keepalives, about every TTL/3, and fences itself at
// the monotonic send time of the last acknowledged keepalive plus the TTL
// minus a margin. The server can only expire the lease after that instant: it
// counts the TTL from when it received the keepalive. The client library's
// own keepalive channel is not used, because it computes expiry on receipt
// and reports it late. A watch on workers/<wid> catches an operator's revoke
// or delete at once.
//
// # Acquiring in three round trips
//
// Acquire grants a lease, then reads leaf_forever/<node> and the workers/
// listing in one transaction, then claims a WorkerID that coord.Pick draws
// from the free ones of that listing: 3 round trips whatever the occupancy.
// A claim that fails (another node took that WorkerID a moment before)
// catches the listing up in the Else branch of the same transaction: the
// holder keys created since it was read (keys only: that Else runs in
// etcd's one-at-a-time apply loop), and a count of the keys, which
// tells whether any listed one has gone since (an exhaustion seen then is
// checked against a new full listing). A lost race so costs one more try,
// no extra round trip, and not the whole listing again. A caller that read
// the node's clock report already (Claim.Sticky) skips the first read: 2
// round trips when its sticky WorkerID is free, 3 when it is taken (that
// failed claim reads the full listing). The listing carries values (about
// 100 bytes per holder, so about 100 KiB at 1,023 holders): etcd 3.5 and
// later answer a keys-only range without each key's lease, which tells a
// stuck holder record from a live one.
//
// # Listing peers
//
// Peers reads every leaf_temporary/ record: one linearizable census, for the
// CLI. SamplePeers, which the peer clock check uses, reads a sample in one
// read-only transaction of 2k + 3 reads whatever the fleet's size: counts
// of the peer records, and 2k draws of the first holder record at or after
// workers/<w> for a WorkerID w drawn at random. It reads no other record and
// keeps no copy: a fleet of N nodes checking every 30 s costs the store N/30
// small transactions a second, where a census by each cost N²/30 record
// reads, and a copy kept by a watch N events to the fleet for every node
// that joins or leaves (a million for a fleet of 1,000 starting at once).
//
// # Records that need an operator
//
// One bad record costs one WorkerID, never the search (coord.Skipped): a
// claim that reads a W it cannot decode deletes the holder record it just
// made (compared on its create revision and lease) and tries the next
// candidate, and a workers/<wid> under no lease (which never expires, and
// which idcoord never writes) is passed over. Each is logged with its key
// and counted (BadRecords). Neither is repaired or deleted here: Revoke
// clears a stuck holder record when an operator asks.
package etcd
