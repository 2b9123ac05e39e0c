package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"runtime/pprof"
	"sync"
	"time"

	"github.com/spf13/cobra"
)

// The protocols bench speaks.
const (
	protoLine = "line"
	protoHTTP = "http"
)

// Limits and defaults of bench.
const (
	defaultBenchConns    = 64
	defaultBenchDuration = 10 * time.Second
	maxBenchConns        = 10_000
	// benchDialTimeout bounds connecting all the connections at the start.
	benchDialTimeout = 5 * time.Second
	// benchGrace is how long after the end of the run (at most, after the
	// end of the dial budget and the duration) a request may still take
	// before its connection's deadline fails it, so that a hung server
	// cannot hold bench up.
	benchGrace = 5 * time.Second
)

func newBenchCommand(cfg *config) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "bench [--socket PATH] [--protocol line|http] [--conns C] [--batch B] [--duration D] [-o text|json]",
		Short: "Load the sidecar and report requests/s, IDs/s and latency percentiles",
		Long: `Bench is a closed-loop load generator for a running sidecar: C goroutines,
each with its own connection to the socket (--socket), send one request for
B IDs, wait for the answer, and send the next, for D.

--protocol line uses the line protocol through the Go client; --protocol
http sends GET /id (B = 1) or GET /ids?count=B over keep-alive HTTP/1.1
with a minimal client, so that the generator's own cost stays small.

Each request's latency (from the end of the previous answer to the end of
its own) goes into a histogram with buckets at most 3% wide. Every ID
received on a connection must be above the previous one; those that are
not are counted as increase violations. Failed requests are counted by
kind (unavailable, badrequest, toomany, protocol, timeout, io, and dial for
failed reconnects) and a broken connection is replaced; only failing to
connect at the start ends the run with an error.

While it runs, bench writes one progress line a second to stderr. At the
end it prints requests, requests/s, IDs/s (beside the configured layout's
cap per worker), the p50, p99 and p999 and largest latency, and the errors;
-o json prints the same as one JSON object. An interrupt (Ctrl-C) ends the
run early and still reports.

--batch must not be above max-batch (--max-batch, default 10000).`,
		Example: "  idcoord bench --socket /run/idcoord/idcoord.sock\n" +
			"  idcoord bench --protocol http --conns 64 --duration 10s\n" +
			"  idcoord bench --conns 8 --batch 1000 -o json",
		Args: cobra.NoArgs,
	}
	var (
		protocol   string
		conns      int
		batch      int
		duration   time.Duration
		cpuProfile string
	)
	f := cmd.Flags()
	f.StringVar(&protocol, "protocol", protoLine, "protocol: line or http")
	f.IntVar(&conns, "conns", defaultBenchConns, fmt.Sprintf("connections, each driven by its own goroutine, 1 to %d", maxBenchConns))
	f.IntVar(&batch, "batch", 1, "IDs per request, 1 to max-batch")
	f.DurationVar(&duration, "duration", defaultBenchDuration, "how long to run")
	f.StringVar(&cpuProfile, "cpuprofile", "", "write a CPU profile of the load generator to this file")
	f.MarkHidden("cpuprofile")
	out := addOutputFlag(cmd, "text", "json")
	cmd.RunE = func(cmd *cobra.Command, _ []string) error {
		s, err := checkedSettings(cfg, out)
		if err != nil {
			return err
		}
		switch {
		case protocol != protoLine && protocol != protoHTTP:
			return fmt.Errorf("bench: %w: --protocol %q: want line or http", errBadFlag, protocol)
		case conns < 1 || conns > maxBenchConns:
			return fmt.Errorf("bench: %w: --conns %d: want 1 to %d", errBadFlag, conns, maxBenchConns)
		case batch < 1:
			return fmt.Errorf("bench: %w: --batch %d: want at least 1", errBadFlag, batch)
		case batch > s.MaxBatch:
			return fmt.Errorf("bench: %w: --batch %d is above max-batch %d, so the server would refuse every request (--max-batch raises it if the server's is higher)",
				errBadFlag, batch, s.MaxBatch)
		case duration <= 0:
			return fmt.Errorf("bench: %w: --duration %s: want more than 0", errBadFlag, duration)
		}

		ctx, stopSignals := signal.NotifyContext(cmd.Context(), os.Interrupt)
		defer stopSignals()
		d := &benchDialer{
			path:     s.Socket.Path,
			protocol: protocol,
			batch:    batch,
			deadline: time.Now().Add(benchDialTimeout + duration + benchGrace),
		}
		all, err := dialAll(ctx, d, conns)
		if err != nil {
			return reachError("bench", d.path, err)
		}
		if cpuProfile != "" {
			stop, err := startCPUProfile(cpuProfile)
			if err != nil {
				closeAll(all)
				return err
			}
			defer stop()
		}

		load := &benchLoad{dialer: d, batch: batch}
		start := time.Now()
		stopLoad := load.start(all)
		progressDone := make(chan struct{})
		var pwg sync.WaitGroup
		pwg.Go(func() { load.progress(cmd.ErrOrStderr(), start, progressDone) })
		t := time.NewTimer(duration)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
		}
		stopLoad()
		elapsed := time.Since(start)
		close(progressDone)
		pwg.Wait()

		res := newBenchResult(load, protocol, elapsed, s.Layout.Capacity())
		if out.format == "json" {
			return jsonLines(cmd.OutOrStdout(), []benchResult{res})
		}
		return res.writeTable(cmd.OutOrStdout())
	}
	return cmd
}

// dialAll opens n connections, or none and the first error.
func dialAll(ctx context.Context, d *benchDialer, n int) ([]benchConn, error) {
	ctx, cancel := context.WithTimeout(ctx, benchDialTimeout)
	defer cancel()
	all := make([]benchConn, 0, n)
	for range n {
		c, err := d.dial(ctx)
		if err != nil {
			closeAll(all)
			return nil, err
		}
		all = append(all, c)
	}
	return all, nil
}

func closeAll(conns []benchConn) {
	for _, c := range conns {
		c.close()
	}
}

// startCPUProfile starts writing a CPU profile to path and returns the
// function that ends it.
func startCPUProfile(path string) (stop func(), err error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, fmt.Errorf("bench: --cpuprofile: %w", err)
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, fmt.Errorf("bench: --cpuprofile: %w", err)
	}
	return func() {
		pprof.StopCPUProfile()
		f.Close()
	}, nil
}
