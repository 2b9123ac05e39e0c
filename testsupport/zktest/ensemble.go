package zktest

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/idcoord/idcoord/testsupport/testproc"
)

// Modes a server reports through srvr.
const (
	ModeLeader     = "leader"
	ModeFollower   = "follower"
	ModeStandalone = "standalone"
)

// Ensemble is a ZooKeeper ensemble of quorum members on 127.0.0.1, each
// with its own client, quorum and election port, folder and myid. Its
// methods are safe for concurrent use.
type Ensemble struct {
	members []*Server // members[i] has myid i+1
}

// StartEnsemble starts an ensemble of size members (an odd number, at least
// 3) with opts, in tb.TempDir(), waits until every member serves clients
// (a leader is elected and every follower has caught up with it), and stops
// them through tb.Cleanup. Ports taken by someone else in between are
// retried with new ones, as Start does.
func StartEnsemble(tb testing.TB, size int, opts Options) *Ensemble {
	tb.Helper()
	if size < 3 || size%2 == 0 {
		tb.Fatalf("%v: an ensemble of %d; it must be an odd number, at least 3", ErrOptions, size)
	}
	if err := opts.Validate(); err != nil {
		tb.Fatalf("%v", err)
	}
	java := javaCommand(tb)
	root := tb.TempDir()
	for attempt := 1; ; attempt++ {
		ports, err := testproc.FreePorts(3 * size)
		if err != nil {
			tb.Fatalf("%v", err)
		}
		e := &Ensemble{}
		var lines strings.Builder
		for i := range size {
			m := &member{id: i + 1, quorum: ports[3*i+1], election: ports[3*i+2]}
			fmt.Fprintf(&lines, "server.%d=127.0.0.1:%d:%d\n", m.id, m.quorum, m.election)
			e.members = append(e.members, &Server{
				java: java, dir: filepath.Join(root, "zk"+strconv.Itoa(m.id)),
				port: ports[3*i], opts: opts.withDefaults(), member: m,
			})
		}
		for _, s := range e.members {
			s.member.servers = lines.String()
			tb.Cleanup(s.Stop)
		}
		start := time.Now()
		err = e.launch(testproc.Context(tb))
		if err == nil {
			tb.Logf("zktest: ensemble serving at %s in %v", strings.Join(e.Addrs(), ","), time.Since(start).Round(time.Millisecond))
			return e
		}
		conflict := false
		for _, s := range e.members {
			s.Kill()
			if p := s.current(); p != nil && testproc.IsBindConflict(p.LogSince()) {
				conflict = true
			}
		}
		if !conflict || attempt == testproc.BindAttempts {
			var tails strings.Builder
			for _, s := range e.members {
				fmt.Fprintf(&tails, "\n--- end of %s ---\n%s", s.LogPath(), s.logTail())
			}
			tb.Fatalf("zktest: start an ensemble of %d (attempt %d of %d): %v%s", size, attempt, testproc.BindAttempts, err, tails.String())
		}
		tb.Logf("zktest: a port was taken (attempt %d of %d); starting over on new ports", attempt, testproc.BindAttempts)
		if err := os.RemoveAll(root); err != nil {
			tb.Fatalf("zktest: clear %s for a new attempt: %v", root, err)
		}
	}
}

// launch starts every member, then waits until each serves: members need
// each other to elect a leader, so none is ready before most have started.
func (e *Ensemble) launch(ctx context.Context) error {
	for _, s := range e.members {
		if err := s.writeConfig(); err != nil {
			return err
		}
		if err := s.launch(); err != nil {
			return err
		}
	}
	for _, s := range e.members {
		if err := s.WaitReady(ctx); err != nil {
			return fmt.Errorf("member %d: %w", s.member.id, err)
		}
	}
	return nil
}

// Members returns the members, in myid order.
func (e *Ensemble) Members() []*Server { return append([]*Server(nil), e.members...) }

// Addrs returns the client addresses of every member, in myid order: the
// server list of a client that may use any of them.
func (e *Ensemble) Addrs() []string {
	addrs := make([]string, len(e.members))
	for i, s := range e.members {
		addrs[i] = s.Addr()
	}
	return addrs
}

// Leader waits until exactly one running member reports that it leads and
// returns it, with the members that report following it. It fails with the
// context's error, naming what each member said last.
func (e *Ensemble) Leader(ctx context.Context) (leader *Server, followers []*Server, err error) {
	for {
		leader, followers = nil, nil
		said := make([]string, 0, len(e.members))
		for _, s := range e.members {
			mode, err := s.Mode(ctx)
			switch {
			case err != nil:
				said = append(said, fmt.Sprintf("member %d: %v", s.ID(), err))
			case mode == ModeLeader && leader == nil:
				leader = s
			case mode == ModeFollower:
				followers = append(followers, s)
			}
			if err == nil {
				said = append(said, fmt.Sprintf("member %d: %s", s.ID(), mode))
			}
		}
		if leader != nil && len(followers) == len(e.members)-1 {
			return leader, followers, nil
		}
		select {
		case <-ctx.Done():
			return nil, nil, fmt.Errorf("zktest: no leader with every other member following it (%s): %w", strings.Join(said, "; "), ctx.Err())
		case <-time.After(readyPoll):
		}
	}
}

// ID returns the server's myid in its ensemble, or 0 for a standalone
// server.
func (s *Server) ID() int {
	if s.member == nil {
		return 0
	}
	return s.member.id
}

// QuorumPort returns the port followers connect to while this member leads,
// or 0 for a standalone server.
func (s *Server) QuorumPort() int {
	if s.member == nil {
		return 0
	}
	return s.member.quorum
}

// ElectionPort returns the member's leader election port, or 0 for a
// standalone server.
func (s *Server) ElectionPort() int {
	if s.member == nil {
		return 0
	}
	return s.member.election
}

// Mode asks the server, through srvr, what it is now: ModeLeader,
// ModeFollower or ModeStandalone (or another mode ZooKeeper names, such as
// observer). A member without a quorum does not serve, and answers with an
// error wrapping ErrNotServing.
func (s *Server) Mode(ctx context.Context) (string, error) {
	srvr, err := fourLetterWord(ctx, s.Addr(), "srvr")
	if err != nil {
		return "", err
	}
	for _, line := range strings.Split(srvr, "\n") {
		if mode, ok := strings.CutPrefix(strings.TrimSpace(line), "Mode: "); ok {
			return mode, nil
		}
	}
	return "", fmt.Errorf("%w: %s says %q", ErrNotServing, s.Addr(), strings.TrimSpace(srvr))
}
