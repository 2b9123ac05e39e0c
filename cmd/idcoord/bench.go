package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime/pprof"
	"strconv"

	"github.com/spf13/cobra"

	"github.com/idcoord/idcoord/sidecar/loadgen"
)

func newBenchCommand(cfg *config) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "bench [--socket PATH] [--protocol line|http] [--conns C] [--batch B] [--tag TAG] [--duration D] [-o text|json]",
		Short: "Load the sidecar and report requests/s, IDs/s and latency percentiles",
		Long: `Bench is a closed-loop load generator for a running sidecar: C goroutines,
each with its own connection to the socket (--socket), send one request for
B IDs, wait for the answer, and send the next, for D.

--protocol line uses the line protocol through the Go client; --protocol
http sends GET /id (B = 1) or GET /ids?count=B over keep-alive HTTP/1.1
with a minimal client, so that the generator's own cost stays small.

--tag TAG asks for segment IDs of TAG instead of Snowflake IDs: the line
"B TAG", or GET /segment/TAG?count=B. The tag must exist (idcoord segment
create); an unknown one fails every request as notfound.

Each request's latency (from the end of the previous answer to the end of
its own) goes into a histogram with buckets at most 3% wide. Every ID
received on a connection must be above the previous one; those that are
not are counted as increase violations. Failed requests are counted by
kind (unavailable, badrequest, toomany, notfound, protocol, timeout, io,
and dial for failed reconnects) and a broken connection is replaced; only
failing to connect at the start ends the run with an error.

While it runs, bench writes one progress line a second to stderr. At the
end it prints requests, requests/s, IDs/s (for Snowflake IDs, beside the
configured layout's cap per worker), the p50, p99 and p999 and largest
latency, and the errors; -o json prints the same as one JSON object. An
interrupt (Ctrl-C) ends the run early and still reports.

--batch must not be above max-batch (--max-batch, default 10000).`,
		Example: "  idcoord bench --socket /run/idcoord/idcoord.sock\n" +
			"  idcoord bench --protocol http --conns 64 --duration 10s\n" +
			"  idcoord bench --conns 8 --batch 1000 -o json\n" +
			"  idcoord bench --tag orders --conns 64",
		Args: cobra.NoArgs,
	}
	lc := loadgen.DefaultConfig()
	var cpuProfile string
	f := cmd.Flags()
	f.StringVar(&lc.Protocol, "protocol", lc.Protocol, "protocol: line or http")
	f.IntVar(&lc.Conns, "conns", lc.Conns, fmt.Sprintf("connections, each driven by its own goroutine, 1 to %d", loadgen.MaxConns))
	f.IntVar(&lc.Batch, "batch", lc.Batch, "IDs per request, 1 to max-batch")
	f.StringVar(&lc.Tag, "tag", "", "ask for segment IDs of this tag instead of Snowflake IDs")
	f.DurationVar(&lc.Duration, "duration", lc.Duration, "how long to run")
	f.StringVar(&cpuProfile, "cpuprofile", "", "write a CPU profile of the load generator to this file")
	f.MarkHidden("cpuprofile")
	out := addOutputFlag(cmd, "text", "json")
	cmd.RunE = func(cmd *cobra.Command, _ []string) error {
		s, err := checkedSettings(cfg, out)
		if err != nil {
			return err
		}
		// The flags' own checks, in the flags' words: on the command line
		// 0 is a mistake, where loadgen takes a zero field for its default.
		switch {
		case lc.Protocol != loadgen.ProtocolLine && lc.Protocol != loadgen.ProtocolHTTP:
			return fmt.Errorf("bench: %w: --protocol %q: want line or http", errBadFlag, lc.Protocol)
		case lc.Conns < 1 || lc.Conns > loadgen.MaxConns:
			return fmt.Errorf("bench: %w: --conns %d: want 1 to %d", errBadFlag, lc.Conns, loadgen.MaxConns)
		case lc.Batch < 1:
			return fmt.Errorf("bench: %w: --batch %d: want at least 1", errBadFlag, lc.Batch)
		case lc.Batch > s.MaxBatch:
			return fmt.Errorf("bench: %w: --batch %d is above max-batch %d, so the server would refuse every request (--max-batch raises it if the server's is higher)",
				errBadFlag, lc.Batch, s.MaxBatch)
		case lc.Duration <= 0:
			return fmt.Errorf("bench: %w: --duration %s: want more than 0", errBadFlag, lc.Duration)
		}
		lc.Path = s.Socket.Path
		if lc.Tag == "" { // the layout caps Snowflake IDs only
			lc.LayoutCap = s.Layout.Capacity()
		}

		ctx, stopSignals := signal.NotifyContext(cmd.Context(), os.Interrupt)
		defer stopSignals()
		res, err := runBench(ctx, lc, cpuProfile, cmd.ErrOrStderr())
		if err != nil {
			return err
		}
		if out.format == "json" {
			return jsonLines(cmd.OutOrStdout(), []loadgen.Result{res})
		}
		return writeBenchTable(cmd.OutOrStdout(), res)
	}
	return cmd
}

// runBench connects, starts the CPU profile if asked to, and runs the load,
// writing its progress lines to progress.
func runBench(ctx context.Context, lc loadgen.Config, cpuProfile string, progress io.Writer) (loadgen.Result, error) {
	g, err := loadgen.Dial(ctx, lc)
	if errors.Is(err, loadgen.ErrBadConfig) {
		return loadgen.Result{}, fmt.Errorf("bench: %w", err)
	}
	if err != nil {
		return loadgen.Result{}, reachError("bench", lc.Path, err)
	}
	if cpuProfile != "" {
		stop, err := startCPUProfile(cpuProfile)
		if err != nil {
			g.Close()
			return loadgen.Result{}, err
		}
		defer stop()
	}
	return g.Run(ctx, progress), nil
}

// writeBenchTable writes r as aligned name/value rows.
func writeBenchTable(w io.Writer, r loadgen.Result) error {
	ms := func(v float64) string { return strconv.FormatFloat(v, 'f', 3, 64) + " ms" }
	ids := fmt.Sprintf("%.0f", r.IDsPerSec)
	if r.LayoutCap > 0 {
		ids += fmt.Sprintf("  (%.1f%% of the configured layout's cap, %.0f per worker)", 100*r.IDsPerSec/r.LayoutCap, r.LayoutCap)
	}
	rows := [][]string{
		{"protocol", r.Protocol},
	}
	if r.Tag != "" {
		rows = append(rows, []string{"segment tag", r.Tag})
	}
	rows = append(rows, [][]string{
		{"connections", strconv.Itoa(r.Conns)},
		{"batch", strconv.Itoa(r.Batch)},
		{"duration", strconv.FormatFloat(r.Seconds, 'f', 2, 64) + " s"},
		{"requests", strconv.FormatInt(r.Requests, 10)},
		{"requests/s", fmt.Sprintf("%.0f", r.ReqPerSec)},
		{"IDs/s", ids},
		{"latency p50", ms(r.P50)},
		{"latency p99", ms(r.P99)},
		{"latency p999", ms(r.P999)},
		{"latency max", ms(r.Max)},
		{"errors", strconv.FormatInt(r.Errors, 10)},
	}...)
	for _, name := range loadgen.ErrorKinds() {
		if n := r.ErrorKinds[name]; n > 0 {
			rows = append(rows, []string{"  " + name, fmt.Sprintf("%d  (first: %s)", n, oneLine(r.FirstErrors[name]))})
		}
	}
	rows = append(rows, []string{"increase violations", strconv.FormatInt(r.Violations, 10)})
	return table(w, rows)
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
