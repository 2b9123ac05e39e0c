//go:build !faultclock

package main

import (
	"net/http"

	"github.com/idcoord/idcoord/clockguard"
)

// wallClock is the node's wall clock: the system clock in release builds.
// The second result is the admin handler of a test clock; release builds
// have none.
func wallClock() (clockguard.WallClock, http.Handler) { return clockguard.System{}, nil }
