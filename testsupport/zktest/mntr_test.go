package zktest

import (
	"context"
	"strconv"
	"testing"
	"time"
)

func TestMonitorCountsPackets(t *testing.T) {
	s := Start(t)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	before, err := s.Monitor(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if got := before["zk_server_state"]; got != ModeStandalone {
		t.Errorf("zk_server_state = %q, want %q", got, ModeStandalone)
	}
	conn := connect(t, s.Addr(), 4*time.Second)
	create(t, conn, "/monitored", "x", 0)
	after, err := s.Monitor(ctx)
	if err != nil {
		t.Fatal(err)
	}
	packets := func(m map[string]string) int {
		n, err := strconv.Atoi(m["zk_packets_received"])
		if err != nil {
			t.Fatalf("zk_packets_received: %v", err)
		}
		return n
	}
	if packets(after) <= packets(before) {
		t.Errorf("zk_packets_received went from %d to %d across a session and a create", packets(before), packets(after))
	}
}
