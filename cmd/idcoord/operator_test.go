package main

import (
	"bytes"
	"sync"
	"testing"
	"time"
)

// lockedBuffer is a bytes.Buffer safe for a writer and a reader at once.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func TestNoticeIfSlow(t *testing.T) {
	t.Run("stopped in time", func(t *testing.T) {
		var w lockedBuffer
		stop := noticeIfSlow(&w, time.Hour, "waiting")
		stop()
		if got := w.String(); got != "" {
			t.Fatalf("wrote %q before its time", got)
		}
	})
	t.Run("slow", func(t *testing.T) {
		var w lockedBuffer
		stop := noticeIfSlow(&w, time.Millisecond, "waiting")
		for w.String() == "" { // the state waited for: the notice written
			time.Sleep(time.Millisecond)
		}
		stop()
		if got := w.String(); got != "waiting\n" {
			t.Fatalf("wrote %q, want one line", got)
		}
	})
	t.Run("stopped after its time, timer or not", func(t *testing.T) {
		var w lockedBuffer
		start := time.Now()
		stop := noticeIfSlow(&w, 20*time.Millisecond, "waiting")
		for time.Since(start) < 20*time.Millisecond {
			time.Sleep(time.Millisecond)
		}
		stop()
		if got := w.String(); got != "waiting\n" {
			t.Fatalf("a wait of %s wrote %q, want one line", time.Since(start), got)
		}
	})
}
