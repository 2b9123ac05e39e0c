package leafalloc_test

import (
	"testing"

	"go.uber.org/goleak"

	"github.com/idcoord/idcoord/testsupport/mariadbtest"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(mariadbtest.Main(m))
}
