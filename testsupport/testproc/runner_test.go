package testproc

import (
	"errors"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// command runs a shell script with its output in dir/run.log.
func command(t *testing.T, dir, script string) Command {
	t.Helper()
	sh, err := exec.LookPath("sh")
	if err != nil {
		t.Fatalf("no sh to run: %v", err)
	}
	return Command{Bin: sh, Args: []string{"-c", script}, LogPath: filepath.Join(dir, "run.log")}
}

func TestZeroRunnerHasNoProcess(t *testing.T) {
	var r Runner
	r.Pause()
	r.Resume()
	r.Stop()
	r.Kill()
	if r.PID() != 0 || r.Running() || r.Current() != nil {
		t.Fatalf("zero Runner: PID %d, Running %v, Current %v; want 0, false, nil", r.PID(), r.Running(), r.Current())
	}
}

func TestRunnerLifecycle(t *testing.T) {
	dir := t.TempDir()
	sleep := command(t, dir, "exec sleep 60")
	var r Runner
	t.Cleanup(r.Kill)
	if err := r.Launch(sleep); err != nil {
		t.Fatalf("Launch: %v", err)
	}
	first := r.PID()
	if first <= 0 || !r.Running() {
		t.Fatalf("after Launch: PID %d, Running %v", first, r.Running())
	}
	if err := r.Launch(sleep); !errors.Is(err, ErrRunning) {
		t.Fatalf("second Launch while running: %v, want ErrRunning", err)
	}

	r.Pause()
	if all, _, ok := threadsStopped(first); !ok || !all {
		t.Fatalf("after Pause: all threads stopped %v (ok %v), want true", all, ok)
	}
	r.Resume()
	if _, none, ok := threadsStopped(first); !ok || !none {
		t.Fatalf("after Resume: no thread stopped %v (ok %v), want true", none, ok)
	}

	r.Pause()
	r.Stop() // must not hang on a paused process
	p := r.Current()
	if r.Running() || !p.Exited() {
		t.Fatal("Running() = true after Stop of a paused process")
	}
	if got := p.ExitStatus(); got != "signal: terminated" {
		t.Fatalf("exit status after Stop = %q, want %q", got, "signal: terminated")
	}

	if err := r.Relaunch(sleep); err != nil {
		t.Fatalf("Relaunch: %v", err)
	}
	if r.PID() == first || !r.Running() {
		t.Fatalf("after Relaunch: PID %d (first run %d), Running %v", r.PID(), first, r.Running())
	}
	r.Kill()
	if got := r.Current().ExitStatus(); got != "signal: killed" {
		t.Fatalf("exit status after Kill = %q, want %q", got, "signal: killed")
	}
}

func TestLogSinceIsThisRun(t *testing.T) {
	dir := t.TempDir()
	var r Runner
	for _, word := range []string{"first", "second"} {
		if err := r.Launch(command(t, dir, "echo "+word)); err != nil {
			t.Fatalf("Launch %s: %v", word, err)
		}
		<-r.Current().Done()
	}
	if got := r.Current().LogSince(); got != "second\n" {
		t.Fatalf("LogSince() = %q, want %q", got, "second\n")
	}
	if got := LogTail(filepath.Join(dir, "run.log")); got != "first\nsecond\n" {
		t.Fatalf("LogTail() = %q, want both runs", got)
	}
	if got := LogTail(filepath.Join(dir, "missing.log")); !strings.HasPrefix(got, "(no log: ") {
		t.Fatalf("LogTail of a missing file = %q, want a note", got)
	}
}

func TestExitCode(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		name   string
		script string
		kill   bool
		want   int
	}{
		{"zero", "exit 0", false, 0},
		{"non-zero", "exit 3", false, 3},
		{"killed", "exec sleep 60", true, -1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := Start(command(t, dir, tt.script))
			if err != nil {
				t.Fatal(err)
			}
			if tt.kill {
				if got := p.ExitCode(); got != -1 {
					t.Fatalf("ExitCode while running = %d, want -1", got)
				}
				p.Kill()
			}
			<-p.Done()
			if got := p.ExitCode(); got != tt.want {
				t.Fatalf("ExitCode = %d, want %d (%s)", got, tt.want, p.ExitStatus())
			}
		})
	}
}
