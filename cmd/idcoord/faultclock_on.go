//go:build faultclock

package main

import (
	"fmt"
	"net/http"
	"os"
	"time"

	"github.com/idcoord/idcoord/clockguard"
)

// faultClockOffsetEnv names the environment variable that sets the test
// clock's offset from the moment the process starts (a Go duration such as
// "-20s"), so that a cold start with a stepped clock can be tested: the admin
// endpoint exists only once the node runs. Release builds ignore it.
const faultClockOffsetEnv = "IDCOORD_FAULTCLOCK_OFFSET"

// wallClock is the node's wall clock: in faultclock builds, a FaultClock that
// end-to-end tests step through the admin endpoint /debug/faultclock:
//
//	GET                          -> {"offset_ns": N, "now_unix_nano": N}
//	POST ?offset=-10s            -> set the offset from the system clock
//	POST ?freeze=true|false      -> stop the clock, or let it run
//
// IDCOORD_FAULTCLOCK_OFFSET sets the initial offset. A value that is not a
// Go duration stops the process with exit code 2 and a one-line reason,
// before the socket or the store is touched: a test that meant to start with
// a stepped clock must not silently start with the true one.
func wallClock() (clockguard.WallClock, http.Handler) {
	c := clockguard.NewFaultClock()
	if v, ok := os.LookupEnv(faultClockOffsetEnv); ok && v != "" {
		d, err := time.ParseDuration(v)
		if err != nil {
			fmt.Fprintf(os.Stderr, "idcoord: %s=%q: %v\n", faultClockOffsetEnv, v, err)
			os.Exit(2)
		}
		c.SetOffset(d)
	}
	return c, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost {
			if v := r.URL.Query().Get("offset"); v != "" {
				d, err := time.ParseDuration(v)
				if err != nil {
					http.Error(w, err.Error(), http.StatusBadRequest)
					return
				}
				c.SetOffset(d)
			}
			switch r.URL.Query().Get("freeze") {
			case "true":
				c.Freeze(true)
			case "false":
				c.Freeze(false)
			}
		}
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"offset_ns": %d, "now_unix_nano": %d}`+"\n", c.Offset(), c.Now().UnixNano())
	})
}
