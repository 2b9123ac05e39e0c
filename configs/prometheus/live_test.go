package prometheus_test

import (
	"sync"
	"testing"

	"github.com/idcoord/idcoord/testsupport/metricstest"
)

// live is what live nodes exported, read once for the tests that need it:
// the nodes stop with the first such test, the snapshot stays.
var live struct {
	sync.Mutex
	got *metricstest.Exported
}

func exported(t *testing.T) metricstest.Exported {
	t.Helper()
	live.Lock()
	defer live.Unlock()
	if live.got == nil {
		e := metricstest.Live(t)
		live.got = &e
	}
	return *live.got
}
