package etcdtest

import (
	"strings"
	"testing"

	"github.com/idcoord/idcoord/testsupport/testproc"
)

func TestMissingBinaryNamesMakeDeps(t *testing.T) {
	t.Setenv("PATH", t.TempDir()) // a folder with no etcd in it
	tests := []struct {
		name  string
		start func(testing.TB)
	}{
		{name: "binary", start: func(tb testing.TB) { StartBinary(tb) }},
		{name: "cluster", start: func(tb testing.TB) { StartCluster(tb, 3) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if msg, _ := testproc.RunFatal(t, tt.start); !strings.Contains(msg, "make deps") {
				t.Fatalf("Fatalf message %q does not name `make deps`", msg)
			}
		})
	}
}
