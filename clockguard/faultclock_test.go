//go:build faultclock

package clockguard_test

import (
	"testing"
	"time"

	"github.com/idcoord/idcoord/clockguard"
)

func TestFaultClock(t *testing.T) {
	c := clockguard.NewFaultClock()
	c.SetOffset(-10 * time.Second)
	if got := time.Until(c.Now()); got > -9*time.Second || got < -11*time.Second {
		t.Fatalf("offset -10s reads %s from now", got)
	}
	c.Freeze(true)
	first := c.Now()
	for range 1000 {
		if !c.Now().Equal(first) {
			t.Fatal("a frozen clock moved")
		}
	}
	c.Freeze(false)
	c.SetOffset(0)
	if d := time.Until(c.Now()).Abs(); d > time.Second || c.Offset() != 0 || !clockguard.FaultClockBuilt {
		t.Fatalf("after reset: %s off, offset %s", d, c.Offset())
	}
}
