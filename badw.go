package idcoord

import (
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/idcoord/idcoord/coord"
)

// badWPause is how long a WorkerID whose W this node refused stays left out
// of its claims. Long enough that a fenced node moves on and stays on
// another WorkerID; short enough that a repaired W is used again without a
// restart.
const badWPause = 10 * time.Minute

// badWTries bounds the claims one acquire makes when each claimed W turns
// out bad, so that a store full of bad records ends in an error, not a long
// loop.
const badWTries = 4

// badWorkers are the WorkerIDs whose W this node refused lately (a W its
// layout cannot have: see acquire). The sticky WorkerID is claimed first,
// so without it a node whose own W turned bad would claim and refuse the
// same WorkerID for ever. Its zero value is empty; it is safe for
// concurrent use.
type badWorkers struct {
	mu    sync.Mutex
	until map[int64]time.Time // on the monotonic clock
	last  error               // the last refusal
}

// add leaves wid out of claims for badWPause, for err.
func (b *badWorkers) add(wid int64, err error, now time.Time) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.until == nil {
		b.until = map[int64]time.Time{}
	}
	b.until[wid] = now.Add(badWPause)
	b.last = err
}

// claim returns c with the WorkerIDs left out at now added to its reserved
// ones, and those WorkerIDs, sorted.
func (b *badWorkers) claim(c coord.Claim, now time.Time) (coord.Claim, []int64) {
	b.mu.Lock()
	defer b.mu.Unlock()
	var out []int64
	for wid, until := range b.until {
		if now.Before(until) {
			out = append(out, wid)
		} else {
			delete(b.until, wid)
		}
	}
	if len(out) == 0 {
		return c, nil
	}
	slices.Sort(out)
	c.Reserved = append(slices.Clip(c.Reserved), out...)
	return c, out
}

// explain adds to an exhaustion error the WorkerIDs left out, and why: they
// are not reserved by the operator, and the last refusal names the record
// to repair. The error then wraps coord.ErrBadRecord too.
func (b *badWorkers) explain(err error, out []int64) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.last == nil {
		return err
	}
	return fmt.Errorf("%w; WorkerIds %v were left out for a W this layout cannot have (for up to %s), the last: %w",
		err, out, badWPause, b.last)
}
