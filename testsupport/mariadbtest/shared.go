package mariadbtest

import (
	"os"
	"sync"
	"testing"

	"github.com/idcoord/idcoord/testsupport/testproc"
)

// TestingM is what a TestMain runs: *testing.M, or what Main returns (and
// what goleak.VerifyTestMain takes).
type TestingM interface {
	Run() int
}

// shared is the test binary's one server of Shared.
var shared struct {
	sync.Mutex
	inMain bool    // Main runs the tests, and will stop srv
	srv    *Server // nil until the first Shared
	dir    string  // srv's temporary folder
	failed string  // why the start failed, for the tests that ask after
}

// Main returns m with a Run that runs the tests and then stops the server
// Shared started, if any, and removes its folder. A package whose tests
// call Shared runs them through it:
//
//	func TestMain(m *testing.M) { goleak.VerifyTestMain(mariadbtest.Main(m)) }
func Main(m TestingM) TestingM {
	shared.Lock()
	shared.inMain = true
	shared.Unlock()
	return mainRun{m}
}

type mainRun struct{ m TestingM }

func (r mainRun) Run() int {
	code := r.m.Run()
	stopShared()
	return code
}

// stopShared stops Shared's server and removes its folder.
func stopShared() {
	shared.Lock()
	defer shared.Unlock()
	if shared.srv != nil {
		shared.srv.Stop()
		shared.srv = nil
	}
	if shared.dir != "" {
		os.RemoveAll(shared.dir)
		shared.dir = ""
	}
}

// Shared returns the test binary's one MariaDB server, starting it on the
// first call; it runs until Main stops it after the last test. A start
// that failed fails every test that asks. Tests keep apart by database
// (NewDatabase).
func Shared(tb testing.TB) *Server {
	tb.Helper()
	shared.Lock()
	defer shared.Unlock()
	switch {
	case !shared.inMain:
		tb.Fatalf("mariadbtest: Shared needs the package's TestMain to run the tests through mariadbtest.Main, which stops the server")
	case shared.srv != nil:
		return shared.srv
	case shared.failed != "":
		tb.Fatalf("mariadbtest: the shared server did not start: %s", shared.failed)
	}
	bins, err := findBinaries()
	if err != nil {
		tb.Fatalf("%v", err)
	}
	dir, err := os.MkdirTemp("", "mariadbtest-")
	if err != nil {
		tb.Fatalf("mariadbtest: %v", err)
	}
	shared.dir = dir
	s, err := start(testproc.Context(tb), tb, bins, dir, dir)
	if err != nil {
		if s != nil {
			s.Stop()
		}
		shared.failed = err.Error()
		tb.Fatalf("%v", err)
	}
	shared.srv = s
	return s
}
