package console

import (
	"context"
	"errors"
	"sync"
	"time"
)

// storeRead caches one kind of store read for every page: a read younger
// than fresh answers at once; otherwise the first page to ask reads, bounded
// by timeout, and the others wait for that read (one in flight at a time).
// It keeps the last read that succeeded, so that a store that stops
// answering leaves its last rows on the page with their age. Safe for
// concurrent use.
type storeRead[T any] struct {
	read           func(context.Context) (T, error)
	fresh, timeout time.Duration

	mu struct {
		sync.Mutex
		at      time.Time // monotonic: when the last read ended
		tried   bool
		err     error // the last read's error, nil after a success
		good    T     // the last successful read
		goodAt  time.Time
		hasGood bool
		wait    chan struct{} // non-nil while a read is in flight
	}
}

// readResult is what a page shows of one kind of store read.
type readResult[T any] struct {
	Val     T
	HasVal  bool
	At      time.Time // when Val was read (monotonic reading)
	Err     error     // the last read's error: Val is then older
	Pending bool      // the caller gave up waiting for a read in flight
}

func newStoreRead[T any](read func(context.Context) (T, error), fresh, timeout time.Duration) *storeRead[T] {
	return &storeRead[T]{read: read, fresh: fresh, timeout: timeout}
}

// get returns the cached read, reading again when it is older than fresh.
// ctx bounds only the wait for a read another page started: the read itself
// runs to its own timeout, so that a page closed early does not fail it for
// the others.
func (s *storeRead[T]) get(ctx context.Context) readResult[T] {
	s.mu.Lock()
	if s.mu.tried && time.Since(s.mu.at) < s.fresh {
		defer s.mu.Unlock()
		return s.resultLocked()
	}
	if w := s.mu.wait; w != nil {
		s.mu.Unlock()
		select {
		case <-w: // the freshest read there is: take it
		case <-ctx.Done():
			s.mu.Lock()
			defer s.mu.Unlock()
			r := s.resultLocked()
			r.Pending = true
			return r
		}
		s.mu.Lock()
		defer s.mu.Unlock()
		return s.resultLocked()
	}
	w := make(chan struct{})
	s.mu.wait = w
	s.mu.Unlock()
	return s.readNow(w)
}

// errNoReturn stands for a read that panicked: the next page reads again.
var errNoReturn = errors.New("console: the store read did not return")

// readNow reads the store, keeps the result and wakes the pages waiting on
// w, even when the read panics.
func (s *storeRead[T]) readNow(w chan struct{}) (res readResult[T]) {
	var v T
	err := errNoReturn
	defer func() {
		s.mu.Lock()
		defer s.mu.Unlock()
		s.mu.at, s.mu.tried, s.mu.err, s.mu.wait = time.Now(), true, err, nil
		if err == nil {
			s.mu.good, s.mu.goodAt, s.mu.hasGood = v, s.mu.at, true
		}
		close(w)
		res = s.resultLocked()
	}()
	ctx, cancel := context.WithTimeout(context.Background(), s.timeout)
	defer cancel()
	v, err = s.read(ctx)
	return res
}

func (s *storeRead[T]) resultLocked() readResult[T] {
	return readResult[T]{Val: s.mu.good, HasVal: s.mu.hasGood, At: s.mu.goodAt, Err: s.mu.err}
}
