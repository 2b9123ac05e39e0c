package scale

import (
	"fmt"
	"os"
	"strconv"
	"time"
)

// Environment variables. Their names start with IDCOORD_E2E_ because
// `idcoord serve` warns about any other IDCOORD_ variable that is not a
// config key, and the e2e tests run it in the same environment.
const (
	longEnv   = "IDCOORD_E2E_LONG"
	reportEnv = "IDCOORD_E2E_REPORT"
	nodesEnv  = "IDCOORD_E2E_SCALE_NODES"
	windowEnv = "IDCOORD_E2E_SCALE_WINDOW"
)

// Defaults of a run.
const (
	defaultNodes  = 1000
	defaultWindow = 60 * time.Second
	// settle is the pause between the last node ready and the window, so
	// that the storm's own traffic (claims, start-up peer checks) is over.
	settle = 5 * time.Second
)

// settings shape one run.
type settings struct {
	nodes  int
	window time.Duration
}

// readSettings reads the run's shape from the environment, or says which
// variable is wrong.
func readSettings(getenv func(string) string) (settings, error) {
	s := settings{nodes: defaultNodes, window: defaultWindow}
	if v := getenv(nodesEnv); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 2 {
			return s, fmt.Errorf("%s=%q: want a whole number of nodes, at least 2", nodesEnv, v)
		}
		s.nodes = n
	}
	if v := getenv(windowEnv); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d < time.Second {
			return s, fmt.Errorf("%s=%q: want a duration of at least 1s, such as 60s", windowEnv, v)
		}
		s.window = d
	}
	return s, nil
}

// longRun reports whether the long tests are asked for.
func longRun() bool { return os.Getenv(longEnv) != "" }
