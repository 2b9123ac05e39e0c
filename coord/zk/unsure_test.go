package zkcoord

import (
	"testing"
	"time"

	"github.com/idcoord/idcoord/coord"
)

// TestUnsureWrite settles a write of W whose answer was lost, for each thing
// the store can show afterwards. The lost write is staged by hand: the
// lease is told its last write at version v was unanswered, and the znode
// is left at v, moved to v+1 with the lease's own record, or moved by
// someone else.
func TestUnsureWrite(t *testing.T) {
	zk := startZK(t)
	conn := raw(t, zk.Addr())
	tests := []struct {
		name    string
		mode    Mode
		applied func(l *lease, w int64) []byte // data written at v+1; nil: nothing
		fenced  bool
	}{
		{"not applied/sequential", ModeSequential, nil, false},
		{"applied/sequential", ModeSequential, func(l *lease, w int64) []byte { return l.record(w) }, false},
		{"other writer/sequential", ModeSequential, func(l *lease, w int64) []byte { return l.record(w - 1) }, true},
		{"not applied/ephemeral", ModeEphemeral, nil, false},
		{"applied/ephemeral", ModeEphemeral, func(l *lease, w int64) []byte { return l.record(w) }, false},
		{"other holder/ephemeral", ModeEphemeral, func(_ *lease, w int64) []byte { return encode(highWater{UnixMS: w, Holder: "thief"}) }, true},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := testCtx(t)
			b := open(t, zk.Addr(), "unsure", func(c *Config) { c.Mode = tt.mode })
			cl, err := b.Acquire(ctx, claimFor("n"+string(rune('a'+i)), 15))
			if err != nil {
				t.Fatal(err)
			}
			l := cl.(*lease)
			lost := time.Now().Add(2 * time.Second).UnixMilli()
			l.mu.Lock()
			v := l.mu.version
			l.mu.unsure = &attempt{version: v, w: lost}
			l.mu.Unlock()
			if tt.applied != nil {
				if _, err := conn.Set(l.hwPath, tt.applied(l, lost), v); err != nil {
					t.Fatal(err)
				}
			}
			// A Reserve below the lost write must not lower W once the
			// write turns out to have been applied.
			if tt.applied != nil && !tt.fenced {
				if err := l.Reserve(ctx, time.UnixMilli(lost-500)); err != nil {
					t.Fatal(err)
				}
				if data, _, _ := conn.Get(l.hwPath); string(data) != string(tt.applied(l, lost)) {
					t.Fatalf("a lower Reserve changed W to %s", data)
				}
			}
			next := time.Now().Add(3 * time.Second)
			err = l.Reserve(ctx, next)
			if tt.fenced {
				wantErr(t, err, coord.ErrFenced)
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			data, st, err := conn.Get(l.hwPath)
			if err != nil {
				t.Fatal(err)
			}
			wantVersion := v + 1
			if tt.applied != nil {
				wantVersion++
			}
			if string(data) != string(l.record(ceilMilli(next))) || st.Version != wantVersion {
				t.Fatalf("stored %s at version %d, want %s at %d", data, st.Version, l.record(ceilMilli(next)), wantVersion)
			}
		})
	}
}
