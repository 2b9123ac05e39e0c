package etcd

import (
	"strconv"
	"strings"

	"go.etcd.io/etcd/api/v3/mvccpb"
	clientv3 "go.etcd.io/etcd/client/v3"
)

// heldView is one acquisition's view of workers/: a full listing, then
// only what each failed claim reads in its Else branch, the keys created
// since the view's revision. A listing of 1,023 holders is about 100 KiB;
// what a failed claim reads is the few keys racing nodes made in the
// meantime, so a fleet starting at once does not send the whole listing
// again with every claim it loses.
//
// The records created since say nothing of the ones deleted since, so the
// same Else counts the keys: while the count matches the view, nothing
// listed has gone. Once it does not, a WorkerID the view holds may be free
// again (stale): harmless while others are free, and an exhaustion seen in
// a stale view is checked against a full listing (see claim).
type heldView struct {
	rev   int64           // revision of the latest read
	keys  map[string]bool // every key under workers/ as of rev (stale: a few gone since)
	held  map[int64]bool  // see heldFrom; the map handed to coord.Search
	stale bool
}

// newHeldView makes a view from a full listing of workers/ read at rev.
func newHeldView(kvs []*mvccpb.KeyValue, rev int64) *heldView {
	v := &heldView{rev: rev, keys: make(map[string]bool, len(kvs)), held: make(map[int64]bool, len(kvs))}
	v.add(kvs)
	return v
}

// add takes in holder records. A record under no lease is left out of held,
// so that the search offers its WorkerID and tryClaim reports it. The range
// reads values too (a hundred bytes or so per holder): etcd 3.5 and later
// answer a keys-only range without the lease of each key.
func (v *heldView) add(kvs []*mvccpb.KeyValue) {
	for _, kv := range kvs {
		key := string(kv.Key)
		v.keys[key] = true
		if kv.Lease == 0 {
			continue // stuck: left to tryClaim, which reports it
		}
		if wid, err := strconv.ParseInt(strings.TrimPrefix(key, workersDir), 10, 64); err == nil {
			v.held[wid] = true
		}
	}
}

// catchUp applies what a failed claim read at rev: the keys created since
// the view's revision, and how many keys workers/ holds now. The keys come
// without their leases (see sinceOps), so each is taken as held: a holder
// record made under no lease meanwhile is not offered by this search, but
// reported by the next one that lists it.
func (v *heldView) catchUp(created []*mvccpb.KeyValue, count, rev int64) {
	for _, kv := range created {
		key := string(kv.Key)
		v.keys[key] = true
		if wid, err := strconv.ParseInt(strings.TrimPrefix(key, workersDir), 10, 64); err == nil {
			v.held[wid] = true
		}
	}
	v.rev = rev
	if int64(len(v.keys)) != count {
		v.stale = true
	}
}

// sinceOps are the reads a failed claim makes to catch the view up. They
// run in etcd's apply loop, which applies one transaction at a time, so
// they read keys only: etcd 3.6 and later then read its in-memory index
// and no record (3.5 and earlier read every record, and send the keys).
func (v *heldView) sinceOps() []clientv3.Op {
	return []clientv3.Op{
		clientv3.OpGet(workersDir, clientv3.WithPrefix(), clientv3.WithKeysOnly(), clientv3.WithMinCreateRev(v.rev+1)),
		clientv3.OpGet(workersDir, clientv3.WithPrefix(), clientv3.WithCountOnly()),
	}
}
