package idcoord

import (
	"errors"
	"sync/atomic"

	"github.com/idcoord/idcoord/coord"
)

// storeOp is a store operation the node makes on its own, as the op label
// of idcoord_store_errors_total. The set is fixed: one series per op.
type storeOp uint8

const (
	opLayout  storeOp = iota // agreeing on the cluster's layout
	opAcquire                // reading the last report, claiming a WorkerId
	opReserve                // raising W (the first reservation of a claim included)
	opReport                 // the periodic clock report
	opPeers                  // listing the live peers for the clock check
	opRelease                // giving a WorkerId back
	numStoreOps
)

var storeOpNames = [numStoreOps]string{"layout", "acquire", "reserve", "report", "peers", "release"}

// storeErrors counts failed store operations by op. Safe for concurrent
// use; the zero value is ready.
type storeErrors struct{ counts [numStoreOps]atomic.Int64 }

// note counts err against op when the store failed: it did not answer,
// refused the credentials, or held a record it could not read. Answers
// that are part of the protocol (no free WorkerId, a fenced lease, a live
// node name) are not failures of the store, and neither is nil.
func (s *storeErrors) note(op storeOp, err error) {
	if err == nil {
		return
	}
	if errors.Is(err, coord.ErrUnreachable) || errors.Is(err, coord.ErrDenied) || errors.Is(err, coord.ErrBadRecord) {
		s.counts[op].Add(1)
	}
}

// snapshot returns the counts by op name.
func (s *storeErrors) snapshot() map[string]int64 {
	out := make(map[string]int64, numStoreOps)
	for op := range numStoreOps {
		out[storeOpNames[op]] = s.counts[op].Load()
	}
	return out
}
