package main

import (
	"errors"
	"strings"
	"testing"

	"github.com/idcoord/idcoord"
)

// TestLargeRollbackKey maps clock.large-rollback from each source onto the
// library's policy, shows it in print-config and --help, and turns an
// unknown policy into the library's error, named with its key and source.
func TestLargeRollbackKey(t *testing.T) {
	for _, tc := range []struct {
		name, env, file string
		args            []string
		want            idcoord.LargeRollback
		source          string
	}{
		{name: "default", want: idcoord.LargeRollbackNewWorker, source: "default"},
		{name: "flag", args: []string{"--clock.large-rollback", "wait"}, want: idcoord.LargeRollbackWait, source: "flag"},
		{name: "env", env: "wait", want: idcoord.LargeRollbackWait, source: "env"},
		{name: "file", file: "clock:\n  large-rollback: wait\n", want: idcoord.LargeRollbackWait, source: "file"},
		{name: "flag over env", env: "wait", args: []string{"--clock.large-rollback", "new-worker"}, want: idcoord.LargeRollbackNewWorker, source: "flag"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.env != "" {
				t.Setenv("IDCOORD_CLOCK_LARGE_ROLLBACK", tc.env)
			}
			args := tc.args
			if tc.file != "" {
				args = append(args, "--config", writeFile(t, "c.yaml", tc.file))
			}
			s, err := settingsFor(t, args...)
			if err != nil {
				t.Fatal(err)
			}
			if s.Clock.LargeRollback != tc.want {
				t.Errorf("clock.large-rollback = %q, want %q", s.Clock.LargeRollback, tc.want)
			}
			e := effective(t, args...)["clock.large-rollback"]
			if e.Value != string(tc.want) || e.Source != tc.source {
				t.Errorf("print-config shows %v from %s, want %s from %s", e.Value, e.Source, tc.want, tc.source)
			}
		})
	}
	t.Run("help", func(t *testing.T) {
		help := mustRun(t, "serve", "--help")
		if !strings.Contains(help, "--clock.large-rollback") || !strings.Contains(help, "new-worker") {
			t.Errorf("serve --help does not show --clock.large-rollback and its default:\n%s", help)
		}
	})
	t.Run("bad value", func(t *testing.T) {
		_, err := settingsFor(t, "--clock.large-rollback", "switch")
		if !errors.Is(err, errBadValue) || !errors.Is(err, idcoord.ErrLargeRollback) {
			t.Fatalf("err %v, want errBadValue and idcoord.ErrLargeRollback", err)
		}
		want := `clock.large-rollback "switch" (flag --clock.large-rollback)`
		if !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), `"wait"`) {
			t.Errorf("err %q does not hold %q and the policies", err, want)
		}
		wantOneLineError(t, []string{want}, "print-config", "--clock.large-rollback", "switch")
	})
}
