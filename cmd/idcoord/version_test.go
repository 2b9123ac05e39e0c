package main

import (
	"runtime"
	"testing"
)

func TestVersion(t *testing.T) {
	out := mustRun(t, "version")
	want := "version: dev\ncommit:  unknown\ngo:      " + runtime.Version() + "\n"
	v := buildVersion()
	if v.Commit != "unknown" {
		want = "version: dev\ncommit:  " + v.Commit + "\ngo:      " + runtime.Version() + "\n"
	}
	if out != want {
		t.Errorf("got %q, want %q", out, want)
	}
}

func TestVersionFromLinker(t *testing.T) {
	oldVersion, oldCommit := version, commit
	t.Cleanup(func() { version, commit = oldVersion, oldCommit })
	version, commit = "v1.2.3", "abc1234"
	got := jsonLinesOf[versionInfo](t, mustRun(t, "version", "-o", "json"))
	want := versionInfo{Version: "v1.2.3", Commit: "abc1234", Go: runtime.Version()}
	if len(got) != 1 || got[0] != want {
		t.Errorf("got %+v, want %+v", got, want)
	}
	wantOneLineError(t, []string{`-o "yaml"`}, "version", "-o", "yaml")
}
