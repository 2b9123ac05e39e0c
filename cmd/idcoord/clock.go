package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/idcoord/idcoord/clockguard"
	"github.com/idcoord/idcoord/coord"
)

// Node states of the clock command.
const (
	clockOK       = "ok"
	clockDrift    = "drift"
	clockNoAnswer = "no answer"
)

// clockReport is the JSON and YAML document of the clock command.
type clockReport struct {
	Nodes []clockNode `json:"nodes" yaml:"nodes"`
	// MeanOffsetSeconds is the mean offset of the nodes that answered; null
	// when none did.
	MeanOffsetSeconds *float64 `json:"mean_offset_seconds" yaml:"mean_offset_seconds"`
	Answered          int      `json:"answered" yaml:"answered"`
	Asked             int      `json:"asked" yaml:"asked"`
	MaxDriftSeconds   float64  `json:"max_drift_seconds" yaml:"max_drift_seconds"`
}

// clockNode is one live node's clock, measured from this machine.
type clockNode struct {
	Node     string `json:"node" yaml:"node"`
	Admin    string `json:"admin" yaml:"admin"`
	WorkerID int64  `json:"worker_id" yaml:"worker_id"`
	// OffsetSeconds is how far the node's clock is ahead of this machine's
	// (negative: behind), RTT-compensated; null when it did not answer.
	OffsetSeconds *float64 `json:"offset_seconds" yaml:"offset_seconds"`
	RTTSeconds    *float64 `json:"rtt_seconds" yaml:"rtt_seconds"`
	// Status is "ok", "drift" (past clock.max-drift) or "no answer".
	Status string `json:"status" yaml:"status"`
	// Error says why a node did not answer; empty otherwise.
	Error string `json:"error" yaml:"error"`
}

func newClockCommand(cfg *config) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "clock [-o table|json|yaml]",
		Short: "Measure every live node's clock against this machine's",
		Long: `clock lists the live nodes of the cluster (leaf_temporary/), asks each one's
admin listener for GET /clock now, all at once, and prints each node's offset
from this machine's clock (RTT-compensated: node_time + rtt/2 - receive
time), the round trip, and the mean offset of the nodes that answered.

It exits 1, with one line on stderr after the output, when a node's offset
is past clock.max-drift either way, or a node does not answer within
clock.max-drift (a longer round trip cannot tell drift apart from delay).

-o json and -o yaml print {"nodes": [{"node", "admin", "worker_id",
"offset_seconds", "rtt_seconds", "status", "error"}, ...],
"mean_offset_seconds", "answered", "asked", "max_drift_seconds"}.`,
		Example: "  idcoord clock --coord zk --zk.servers 10.0.0.1:2181 --cluster prod\n  idcoord clock -o json --clock.max-drift 250ms",
		Args:    cobra.NoArgs,
	}
	out := addOutputFlag(cmd, "table", "json", "yaml")
	onStore(cmd, cfg, out, func(ctx context.Context, ins *inspection, s *settings, _ []string) error {
		peers, err := ins.Peers(ctx)
		if err != nil {
			return fmt.Errorf("clock: %w", err)
		}
		slices.SortFunc(peers, func(a, b coord.Peer) int { return strings.Compare(a.Node, b.Node) })
		// One connection per probe, closed after it: nothing lingers once the
		// command is done.
		client := &http.Client{Timeout: s.Clock.MaxDrift + time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
		rep := measureClocks(ctx, peers, clockguard.System{}, clockguard.HTTPProbe(client), s.Clock.MaxDrift)
		if err := writeClockReport(cmd.OutOrStdout(), out.format, rep, s.Clock.MaxDrift); err != nil {
			return err
		}
		return rep.check(s.Clock.MaxDrift)
	})
	return cmd
}

// measuredClocks are the samples of the peers, in the peers' order.
type measuredClocks struct {
	peers   []coord.Peer
	samples []clockguard.Sample
	judged  clockguard.Verdict
}

// measureClocks asks every peer's /clock at once; a round trip over
// maxDrift makes a sample unusable.
func measureClocks(ctx context.Context, peers []coord.Peer, clock clockguard.WallClock, probe clockguard.PeerProbe, maxDrift time.Duration) measuredClocks {
	addrs := make([]string, len(peers))
	for i, p := range peers {
		addrs[i] = p.Admin
	}
	samples := clockguard.Measure(ctx, clock, probe, addrs, maxDrift)
	return measuredClocks{peers: peers, samples: samples, judged: clockguard.Judge(samples)}
}

// status is the state of the i-th peer.
func (m measuredClocks) status(i int, maxDrift time.Duration) string {
	switch s := m.samples[i]; {
	case s.Err != nil:
		return clockNoAnswer
	case s.Offset.Abs() > maxDrift:
		return clockDrift
	}
	return clockOK
}

// check is nil when every node answered within maxDrift of this clock;
// otherwise one error naming each node that did not, wrapping errNodeDrift
// when some node drifts, else errNoClock.
func (m measuredClocks) check(maxDrift time.Duration) error {
	var drift, silent []string
	for i, p := range m.peers {
		s := m.samples[i]
		switch m.status(i, maxDrift) {
		case clockDrift:
			dir := "ahead of"
			if s.Offset < 0 {
				dir = "behind"
			}
			drift = append(drift, fmt.Sprintf("node %s (%s) is %s %s this machine", p.Node, p.Admin, humanDuration(s.Offset.Abs()), dir))
		case clockNoAnswer:
			silent = append(silent, fmt.Sprintf("node %s (%s) did not answer: %v", p.Node, orDash(p.Admin), s.Err))
		}
	}
	switch {
	case len(drift) > 0:
		return fmt.Errorf("clock: %w %s: %s", errNodeDrift, maxDrift, strings.Join(append(drift, silent...), "; "))
	case len(silent) > 0:
		return fmt.Errorf("clock: %w: %s", errNoClock, strings.Join(silent, "; "))
	}
	return nil
}

// writeClockReport prints the measurements in format.
func writeClockReport(w io.Writer, format string, m measuredClocks, maxDrift time.Duration) error {
	if format != "table" {
		doc := clockReport{Nodes: make([]clockNode, 0, len(m.peers)), Answered: m.judged.Used, Asked: m.judged.Asked,
			MaxDriftSeconds: seconds(maxDrift)}
		for i, p := range m.peers {
			s := m.samples[i]
			n := clockNode{Node: p.Node, Admin: p.Admin, WorkerID: p.WorkerID, Status: m.status(i, maxDrift)}
			if s.Err != nil {
				n.Error = s.Err.Error()
			} else {
				n.OffsetSeconds, n.RTTSeconds = secondsPtr(s.Offset), secondsPtr(s.RTT)
			}
			doc.Nodes = append(doc.Nodes, n)
		}
		if m.judged.Used > 0 {
			doc.MeanOffsetSeconds = secondsPtr(m.judged.Mean)
		}
		return writeDocument(w, format, doc)
	}
	rows := [][]string{{"NODE", "ADMIN", "WORKER", "OFFSET", "RTT", "STATUS"}}
	for i, p := range m.peers {
		s := m.samples[i]
		row := []string{orDash(p.Node), orDash(p.Admin), strconv.FormatInt(p.WorkerID, 10), "-", "-", m.status(i, maxDrift)}
		if s.Err == nil {
			row[3], row[4] = signedDuration(s.Offset), humanDuration(s.RTT)
		}
		rows = append(rows, row)
	}
	if err := table(w, rows); err != nil {
		return err
	}
	var err error
	switch {
	case m.judged.Asked == 0:
		_, err = fmt.Fprintln(w, "\nno live nodes")
	case m.judged.Used == 0:
		_, err = fmt.Fprintf(w, "\nno mean: none of %d nodes answered (clock.max-drift %s)\n", m.judged.Asked, maxDrift)
	default:
		_, err = fmt.Fprintf(w, "\nmean offset %s over %d of %d nodes (clock.max-drift %s)\n",
			signedDuration(m.judged.Mean), m.judged.Used, m.judged.Asked, maxDrift)
	}
	return err
}
