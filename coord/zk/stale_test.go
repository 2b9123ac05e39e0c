package zkcoord

import (
	"slices"
	"testing"
	"time"
)

func TestStaleForever(t *testing.T) {
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	cutoff := now.Add(-time.Hour)
	old, recent := now.Add(-2*time.Hour), now.Add(-time.Minute)
	tests := []struct {
		name string
		node ForeverNode
		want bool
	}{
		{"old and not live", ForeverNode{Modified: old, Timestamp: old}, true},
		{"old, unreadable timestamp", ForeverNode{Modified: old}, true},
		{"live", ForeverNode{Modified: old, Timestamp: old, Live: true, Holder: "web-0"}, false},
		{"a holder named without Live", ForeverNode{Modified: old, Timestamp: old, Holder: "web-0"}, false},
		{"written recently", ForeverNode{Modified: recent, Timestamp: old}, false},
		{"timestamp recent (clock ahead)", ForeverNode{Modified: old, Timestamp: now.Add(time.Hour)}, false},
		{"exactly at the cutoff", ForeverNode{Modified: cutoff, Timestamp: old}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.node.Path = "/snowflake/x/forever/10.0.0.1:80-0000000001"
			got := StaleForever([]ForeverNode{tt.node}, cutoff)
			if (len(got) == 1) != tt.want {
				t.Fatalf("StaleForever selected %d of 1, want selected: %v", len(got), tt.want)
			}
		})
	}
}

// TestStaleForeverTree applies the rule to what ListForever reads from a
// real tree: an identity held by a running idcoord, one idcoord released,
// two Leaf identities that last reported a month ago, and one whose clock
// ran a day ahead. Every znode was written within the test, so a cutoff an
// hour from now makes them all old by the server's clock, and one an hour
// ago none.
func TestStaleForeverTree(t *testing.T) {
	addr := startZK(t).Addr()
	ctx := testCtx(t)
	withIdentity := func(id string) func(*Config) { return func(c *Config) { c.Identity = id } }
	mustAcquire(t, open(t, addr, "stale", withIdentity("10.0.0.9:7070")), claimFor("live-0", 1023))
	gone := mustAcquire(t, open(t, addr, "stale", withIdentity("10.0.0.8:7070")), claimFor("gone-0", 1023))
	if err := gone.Release(ctx, time.Now()); err != nil {
		t.Fatal(err)
	}
	monthAgo, dayAhead := time.Now().Add(-30*24*time.Hour).UnixMilli(), time.Now().Add(24*time.Hour).UnixMilli()
	createLeafTree(t, raw(t, addr), "stale", []endpoint{
		{IP: "10.0.0.1", Port: "8080", Timestamp: monthAgo},
		{IP: "10.0.0.2", Port: "8080", Timestamp: monthAgo},
		{IP: "10.0.0.3", Port: "8080", Timestamp: dayAhead},
	})
	nodes, err := open(t, addr, "stale", nil).ListForever(ctx)
	if err != nil {
		t.Fatal(err)
	}
	identities := func(nodes []ForeverNode) []string {
		var ids []string
		for _, n := range nodes {
			ids = append(ids, n.Identity)
		}
		return ids
	}
	if got, want := identities(nodes), []string{"10.0.0.9:7070", "10.0.0.8:7070", "10.0.0.1:8080", "10.0.0.2:8080", "10.0.0.3:8080"}; !slices.Equal(got, want) {
		t.Fatalf("ListForever read %v, want %v", got, want)
	}
	before := slices.Clone(nodes)
	stale := StaleForever(nodes, time.Now().Add(time.Hour))
	if got, want := identities(stale), []string{"10.0.0.8:7070", "10.0.0.1:8080", "10.0.0.2:8080"}; !slices.Equal(got, want) {
		t.Fatalf("stale: %v, want %v", got, want)
	}
	if !slices.Equal(nodes, before) {
		t.Fatal("StaleForever changed its argument")
	}
	if stale := StaleForever(nodes, time.Now().Add(-time.Hour)); len(stale) != 0 {
		t.Fatalf("with a cutoff before every write, stale: %v", identities(stale))
	}
}
