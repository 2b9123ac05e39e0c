//go:build faultclock

package main

import (
	"fmt"
	"net/http"
	"time"

	"github.com/idcoord/idcoord/clockguard"
)

// wallClock is the node's wall clock: in faultclock builds, a FaultClock that
// end-to-end tests step through the admin endpoint /debug/faultclock:
//
//	GET                          -> {"offset_ns": N, "now_unix_nano": N}
//	POST ?offset=-10s            -> set the offset from the system clock
//	POST ?freeze=true|false      -> stop the clock, or let it run
func wallClock() (clockguard.WallClock, http.Handler) {
	c := clockguard.NewFaultClock()
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
