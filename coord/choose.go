package coord

import (
	"context"
	"errors"
	"hash/fnv"
	"iter"
	"slices"
	"strconv"
	"strings"
)

// Candidates yields the WorkerIDs to try for c, most preferred first, each at
// most once, never a reserved one and never out of 1..MaxWorkerID:
//
//  1. sticky, the WorkerID the node held last (pass -1 for none);
//  2. the StatefulSet ordinal: a name ending in "-<n>" prefers n+1, because
//     WorkerID 0 is reserved, so pod-0 gets 1, pod-1 gets 2, and so on;
//  3. every other WorkerID, probing linearly from a hash of the node name, so
//     that nodes starting together spread out instead of racing for 1.
func Candidates(c Claim, sticky int64) iter.Seq[int64] {
	return func(yield func(int64) bool) {
		if c.MaxWorkerID < 1 {
			return
		}
		tried := make(map[int64]bool, 2)
		try := func(wid int64) bool {
			if wid < 1 || wid > c.MaxWorkerID || tried[wid] || slices.Contains(c.Reserved, wid) {
				return true
			}
			tried[wid] = true
			return yield(wid)
		}
		if !try(sticky) {
			return
		}
		if n, ok := ordinal(c.Node); ok && n < c.MaxWorkerID {
			if !try(n + 1) {
				return
			}
		}
		h := fnv.New64a()
		h.Write([]byte(c.Node))
		start := int64(h.Sum64() % uint64(c.MaxWorkerID))
		for i := range c.MaxWorkerID {
			if !try((start+i)%c.MaxWorkerID + 1) {
				return
			}
		}
	}
}

// LastWorkerID returns the WorkerID of c.Node's last clock report in b, the
// sticky candidate to pass to Candidates and FirstFree, or -1 when the node
// has no report or its report cannot be decoded. When the caller read the
// report already (c.Sticky is not 0), it returns c.Sticky and reads
// nothing.
func LastWorkerID(ctx context.Context, b Backend, c Claim) (int64, error) {
	if c.Sticky != 0 {
		return c.Sticky, nil
	}
	r, ok, err := b.LastReport(ctx, c.Node)
	if err != nil && !errors.Is(err, ErrBadRecord) {
		return -1, err
	}
	if !ok {
		return -1, nil
	}
	return r.WorkerID, nil
}

// FirstFree is how a backend claims a WorkerID for c: it offers the
// candidates of Candidates(c, sticky) to try, in order, and returns the first
// lease try makes. try returns ok false when another holder has the
// WorkerID. Once three offered candidates have turned out taken, FirstFree
// lists the held WorkerIDs once with held and offers only the others, so a
// nearly full range costs one listing rather than a failed claim per holder.
//
// An error from try that wraps ErrBadRecord skips that WorkerID (see
// Skipped): the search goes on with the next candidate. The backend logs
// and counts it in try; FirstFree keeps it for the exhaustion error. When no
// candidate is left it returns NoFreeWorkerError(cluster, c, held, skipped).
// Any other error from try or held ends the search and is returned as it is.
func FirstFree[L any](ctx context.Context, cluster string, c Claim, sticky int64,
	held func(context.Context) (map[int64]bool, error),
	try func(ctx context.Context, wid int64) (L, bool, error),
) (L, error) {
	var none L
	var taken map[int64]bool // listed once the preferred candidates are taken
	var err error
	var skipped []Skipped
	offered := 0
	for wid := range Candidates(c, sticky) {
		if taken == nil && offered >= 3 {
			if taken, err = held(ctx); err != nil {
				return none, err
			}
		}
		if taken[wid] {
			continue
		}
		offered++
		l, ok, err := try(ctx, wid)
		if errors.Is(err, ErrBadRecord) {
			skipped = append(skipped, Skipped{WorkerID: wid, Err: err})
			continue
		}
		if err != nil {
			return none, err
		}
		if ok {
			return l, nil
		}
	}
	if taken == nil {
		if taken, err = held(ctx); err != nil {
			return none, err
		}
	}
	return none, NoFreeWorkerError(cluster, c, taken, skipped)
}

// ordinal returns n for a name that ends in "-<n>", as StatefulSet pods do.
func ordinal(name string) (int64, bool) {
	i := strings.LastIndexByte(name, '-')
	if i < 0 {
		return 0, false
	}
	n, err := strconv.ParseInt(name[i+1:], 10, 64)
	return n, err == nil && n >= 0
}
