package coord

import (
	"context"
	"errors"
	"hash/fnv"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
)

// randomProbes is how many WorkerIDs Pick draws at random before it walks
// the range: at 90% held a draw misses 64 times in a row once in 850; past
// that, the range is so full that the walk is short.
const randomProbes = 64

// Pick returns the WorkerID to offer c next, and false when none is left.
// It never returns a reserved WorkerID, one out of 1..MaxWorkerID, one in
// tried, or one in held. In order of preference:
//
//  1. sticky, the WorkerID the node held last (pass -1 for none);
//  2. the StatefulSet ordinal: a name ending in "-<n>" prefers n+1, because
//     WorkerID 0 is reserved, so pod-0 gets 1, pod-1 gets 2, and so on;
//  3. a free WorkerID drawn from a hash of the node name and len(tried):
//     uniform over the free ones, so that nodes starting together spread
//     over what is free instead of racing for the same one.
//
// held is the store's listing of held WorkerIDs; nil means not listed yet,
// and then only the preferred candidates (1 and 2) are offered: the caller
// lists once those are tried. The draw costs no round trip and about
// MaxWorkerID/free map lookups; past randomProbes misses it walks the range
// from the drawn point, which is short only because the range is nearly
// full.
func Pick(c Claim, sticky int64, held, tried map[int64]bool) (int64, bool) {
	if c.MaxWorkerID < 1 {
		return 0, false
	}
	free := func(wid int64) bool {
		return wid >= 1 && wid <= c.MaxWorkerID && !tried[wid] && !held[wid] && !slices.Contains(c.Reserved, wid)
	}
	if free(sticky) {
		return sticky, true
	}
	if n, ok := ordinal(c.Node); ok && n < c.MaxWorkerID && free(n+1) {
		return n + 1, true
	}
	if held == nil {
		return 0, false
	}
	h := fnv.New64a()
	h.Write([]byte(c.Node))
	rnd := rand.New(rand.NewPCG(h.Sum64(), uint64(len(tried))))
	for range randomProbes {
		if wid := rnd.Int64N(c.MaxWorkerID) + 1; free(wid) {
			return wid, true
		}
	}
	start := rnd.Int64N(c.MaxWorkerID)
	for i := range c.MaxWorkerID {
		if wid := (start+i)%c.MaxWorkerID + 1; free(wid) {
			return wid, true
		}
	}
	return 0, false
}

// Try claims one WorkerID for Search. ok means l holds wid. Otherwise
// another holder has it, and held, when not nil, is the store's listing of
// held WorkerIDs read in the same round trip as the failed claim.
type Try[L any] func(ctx context.Context, wid int64) (l L, ok bool, held map[int64]bool, err error)

// Search is how a backend claims a WorkerID for c: it offers the WorkerIDs
// Pick chooses to try, one at a time, and returns the first lease try makes.
// held is the listing of held WorkerIDs the backend read before (nil: none);
// Search calls list only when Pick needs a listing and none is at hand.
//
// A backend that reads the listing in the same round trip as a claim that
// fails (and hands it back from try) claims in at most two tries when no
// other node claims at the same moment: the preferred WorkerID, then one
// that was free in the listing. A claim lost to a racing node comes back
// with a fresh listing, so every extra try is another node's success.
//
// An error from try that wraps ErrBadRecord skips that WorkerID (see
// Skipped): the search goes on with the next one. The backend logs and
// counts it in try; Search keeps it for the exhaustion error. When no
// WorkerID is left it returns NoFreeWorkerError(cluster, c, held, skipped).
// Any other error from try or list ends the search and is returned as it is.
func Search[L any](ctx context.Context, cluster string, c Claim, sticky int64, held map[int64]bool,
	list func(context.Context) (map[int64]bool, error), try Try[L],
) (L, error) {
	var none L
	tried := map[int64]bool{}
	var skipped []Skipped
	for {
		wid, ok := Pick(c, sticky, held, tried)
		if !ok && held == nil {
			var err error
			if held, err = list(ctx); err != nil {
				return none, err
			}
			if held == nil {
				held = map[int64]bool{}
			}
			wid, ok = Pick(c, sticky, held, tried)
		}
		if !ok {
			return none, NoFreeWorkerError(cluster, c, held, skipped)
		}
		tried[wid] = true
		l, ok, fresh, err := try(ctx, wid)
		switch {
		case errors.Is(err, ErrBadRecord):
			skipped = append(skipped, Skipped{WorkerID: wid, Err: err})
		case err != nil:
			return none, err
		case ok:
			return l, nil
		case fresh != nil:
			held = fresh
		}
	}
}

// LastWorkerID returns the WorkerID of c.Node's last clock report in b, the
// sticky candidate to pass to Pick and Search, or -1 when the node has no
// report or its report cannot be decoded. When the caller read the report
// already (c.Sticky is not 0), it returns c.Sticky and reads nothing.
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

// ordinal returns n for a name that ends in "-<n>", as StatefulSet pods do.
func ordinal(name string) (int64, bool) {
	i := strings.LastIndexByte(name, '-')
	if i < 0 {
		return 0, false
	}
	n, err := strconv.ParseInt(name[i+1:], 10, 64)
	return n, err == nil && n >= 0
}
