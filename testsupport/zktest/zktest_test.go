package zktest

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/go-zookeeper/zk"
	"github.com/idcoord/idcoord/testsupport/faultproxy"
)

func TestCreateGet(t *testing.T) {
	s := Start(t)
	conn := connect(t, s.Addr(), 4*time.Second)
	create(t, conn, "/zktest", "hello", 0)
	mustGet(t, conn, "/zktest", "hello")
}

func TestKillRestartKeepsData(t *testing.T) {
	s := Start(t)
	conn := connect(t, s.Addr(), 4*time.Second)
	create(t, conn, "/kept", "v1", 0)
	create(t, conn, "/seq", "", 0)
	last := 0
	for range 3 {
		n := seqOf(t, create(t, conn, "/seq/n-", "", zk.FlagSequence))
		if n <= last && last != 0 {
			t.Fatalf("sequence went from %d to %d", last, n)
		}
		last = n
	}
	conn.Close()
	firstPID := s.PID()

	s.Kill()
	if s.Running() {
		t.Fatalf("Running() = true after Kill of PID %d", s.PID())
	}
	s.Restart(t)
	if s.PID() == firstPID {
		t.Fatalf("PID() = %d after restart, same as before", firstPID)
	}

	conn = connect(t, s.Addr(), 4*time.Second)
	mustGet(t, conn, "/kept", "v1")
	after := create(t, conn, "/seq/n-", "", zk.FlagSequence)
	if !strings.HasPrefix(after, "/seq/n-") || seqOf(t, after) <= last {
		t.Fatalf("first sequential node after restart is %s; want a number above %d", after, last)
	}
}

func TestPauseStopRestart(t *testing.T) {
	s := Start(t)
	ctx := context.Background()

	s.Pause()
	short, cancel := context.WithTimeout(ctx, 300*time.Millisecond)
	err := s.WaitReady(short)
	cancel()
	if err == nil {
		t.Fatal("a paused server answered ruok")
	}
	s.Resume()
	if err := s.WaitReady(ctx); err != nil {
		t.Fatalf("WaitReady after Resume: %v", err)
	}

	s.Pause()
	s.Stop() // must not hang on a paused process
	if s.Running() {
		t.Fatal("Running() = true after Stop of a paused server")
	}
	if err := s.WaitReady(ctx); !errors.Is(err, ErrNotRunning) {
		t.Fatalf("WaitReady on a stopped server: %v, want ErrNotRunning", err)
	}
	s.Restart(t) // from stopped
	s.Restart(t) // from running
}

// TestShortSession checks that Options reach the server: a 2s session,
// below the default minimum of 4s, expires once its client goes silent.
func TestShortSession(t *testing.T) {
	s := StartWith(t, Options{
		TickTime:          500 * time.Millisecond,
		MinSessionTimeout: time.Second,
		MaxSessionTimeout: 4 * time.Second,
	})
	proxy := faultproxy.New(t, s.Addr())
	holder := connect(t, proxy.Addr(), 2*time.Second)
	create(t, holder, "/eph", "", zk.FlagEphemeral)

	watcher := connect(t, s.Addr(), 4*time.Second)
	proxy.Block()
	blocked := time.Now()
	for {
		ok, _, err := watcher.Exists("/eph")
		if err != nil {
			t.Fatalf("exists /eph: %v", err)
		}
		if !ok {
			t.Logf("ephemeral node gone %v after the holder went silent", time.Since(blocked).Round(10*time.Millisecond))
			return
		}
		if time.Since(blocked) > 15*time.Second {
			t.Fatalf("ephemeral node of a 2s session still there %v after its client went silent", time.Since(blocked))
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func TestOptionsValidate(t *testing.T) {
	tests := []struct {
		name    string
		opts    Options
		wantErr bool
	}{
		{name: "zero means defaults", opts: Options{}},
		{name: "short sessions", opts: Options{TickTime: 500 * time.Millisecond, MinSessionTimeout: time.Second, MaxSessionTimeout: 4 * time.Second}},
		{name: "max below default min", opts: Options{MaxSessionTimeout: 3 * time.Second}, wantErr: true},
		{name: "min above max", opts: Options{MinSessionTimeout: 5 * time.Second, MaxSessionTimeout: 4 * time.Second}, wantErr: true},
		{name: "negative tick", opts: Options{TickTime: -time.Second}, wantErr: true},
		{name: "fraction of a millisecond", opts: Options{TickTime: 1500 * time.Microsecond}, wantErr: true},
		{name: "too long", opts: Options{TickTime: 1000 * time.Hour}, wantErr: true},
		{name: "ensemble limits", opts: Options{InitLimit: 20, SyncLimit: 15}},
		{name: "negative sync limit", opts: Options{SyncLimit: -1}, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.opts.Validate()
			if (err != nil) != tt.wantErr {
				t.Fatalf("Validate(%+v) = %v, want error %v", tt.opts, err, tt.wantErr)
			}
			if err != nil && !errors.Is(err, ErrOptions) {
				t.Fatalf("Validate error %v does not wrap ErrOptions", err)
			}
		})
	}
}
