package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"path/filepath"
	"syscall"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/spf13/cobra"
	"go.uber.org/zap"

	"github.com/idcoord/idcoord"
	"github.com/idcoord/idcoord/coord"
	"github.com/idcoord/idcoord/coord/segment"
	"github.com/idcoord/idcoord/coord/store"
	"github.com/idcoord/idcoord/sidecar"
)

// Bounds of a graceful stop. Requests in flight get shutdownGrace to
// finish. Releasing the WorkerId gets releaseGrace: a store that has not
// answered by then is taken as gone, and the WorkerId frees itself when its
// lease expires (its W was persisted before anything was issued under it).
const (
	shutdownGrace = 10 * time.Second
	releaseGrace  = 3 * time.Second
)

func newServeCommand(cfg *config) *cobra.Command {
	return &cobra.Command{
		Use:   "serve",
		Short: "Hold a WorkerId and serve IDs on the Unix socket, with the admin listener",
		Long: `serve binds the Unix socket (line protocol and HTTP/1.1) and the admin TCP
listener (/metrics, /healthz, /readyz, /clock, /status, and the web
console at /), acquires a WorkerId
from the store, and serves IDs once it is safe. It refuses to start, with a
one-line reason and a non-zero exit, on a clock rollback, drift from the
peers, no free WorkerId, a node.name live in another process, a data-dir
in use by another idcoord, a bad config, or a store unreachable for 30s.
SIGTERM stops accepting, finishes requests in flight, persists W, releases
the WorkerId, removes the socket and exits 0; SIGINT (Ctrl-C) does the same
and exits 130. Either one during start-up stops at once (SIGTERM: exit 0,
SIGINT: "interrupted", exit 130). A second signal cuts the stop short.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			s, err := cfg.Settings()
			if err != nil {
				return err
			}
			if err := s.ValidateLayout(); err != nil {
				return err
			}
			log, err := newLogger(s.Log, cmd.ErrOrStderr())
			if err != nil {
				return err
			}
			defer log.Sync() //nolint:errcheck // nothing to do about a failed flush
			signals := watchSignals(cmd.Context())
			defer signals.stop()
			err = serve(signals.Run, signals.Hurry, s, log)
			if signals.Received() == syscall.SIGINT {
				return &exitError{code: exitInterrupted, err: errors.Join(err, errInterrupted)}
			}
			return err
		},
	}
}

// serve runs the node until ctx is done, then stops it gracefully; once
// hurry is done too, the stop waits for nothing more. Start-up steps that
// fail because ctx was cancelled return nil: the signal that cancelled it
// decides the exit.
func serve(ctx, hurry context.Context, s *settings, log *zap.Logger) error {
	advertise, err := s.AdminAdvertise()
	if err != nil {
		return err
	}
	clock, faultClock := wallClock()
	source := &startingSource{layout: s.Layout}
	status := func() any { return source.status() }

	// The socket and the admin listener come up first: a live server on the
	// socket is refused before a WorkerId is taken, and peers can read this
	// node's /clock while it starts. Both say "not ready" until it is safe.
	ln, err := sidecar.Listen(s.Socket.Path, s.Socket.Mode)
	if err != nil {
		return err
	}
	registry := prometheus.NewRegistry()
	registry.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	srv, err := sidecar.New(sidecar.Config{Source: source, Segments: source, Status: status, MaxBatch: s.MaxBatch,
		MaxConns: s.Socket.MaxConns, IdleTimeout: s.Socket.IdleTimeout, ReadTimeout: s.Socket.ReadTimeout,
		MaxLineBytes: s.Socket.MaxRequestBytes, AllowedUIDs: s.Socket.AllowedUIDs, Logger: log.Named("sidecar"), Registry: registry})
	if err != nil {
		ln.Close()
		return err
	}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()

	sources := &consoleSources{source: source}
	cons, err := newConsole(sources, s, registry, clock, log)
	if err != nil {
		srv.Close()
		return err
	}
	defer cons.Close()
	admin, err := startAdmin(s.Admin.Addr, source, status, registry, clock, faultClock, cons, log)
	if err != nil {
		srv.Close()
		return err
	}
	defer admin.Close()
	if s.LeafAddr != "" {
		leaf, err := startLeaf(s.LeafAddr, source, registry, log)
		if err != nil {
			srv.Close()
			return err
		}
		defer leaf.Close()
	}

	st, err := store.Open(ctx, storeConfig(s, advertise, log))
	if err != nil {
		srv.Close()
		return startError(ctx, err)
	}
	defer st.Close()
	sources.setStore(st.Backend())
	historyDir := filepath.Join(s.DataDir, "history", s.Cluster) // this node's own floors, outside the store
	// Opened before the node starts: segment IDs need no WorkerId, so they
	// are served while it starts.
	segments, err := idcoord.OpenSegments(st.Backend(), segment.Config{MaxStep: s.SegmentMaxStep, Registerer: registry},
		historyDir, s.NodeName, log)
	if err != nil {
		srv.Close()
		return err
	}
	source.setSegments(segments)
	node, err := idcoord.Start(ctx, idcoord.Config{
		Backend: st.Backend(), Node: s.NodeName, Admin: advertise, Layout: s.Layout, DatacenterID: s.DatacenterID, Reserved: s.Reserved,
		Clock: clock, MaxBackwardWait: noneIfZero(s.Clock.MaxBackwardWait), MaxStartupWait: noneIfZero(s.Clock.MaxStartupWait),
		MaxDrift: s.Clock.MaxDrift, LargeRollback: s.Clock.LargeRollback, Logger: log,
		SegmentAllocator: segments, // nil when the store keeps no segments
		HistoryDir:       historyDir,
	})
	if err != nil {
		srv.Close()
		return startError(ctx, err)
	}
	source.set(node)
	registry.MustRegister(node.Collector())
	log.Info("serving", zap.String("socket", s.Socket.Path), zap.String("admin", s.Admin.Addr),
		zap.String("advertise", advertise), zap.Int64("worker-id", node.Status().WorkerID))

	select {
	case <-ctx.Done():
	case err := <-served:
		log.Error("socket server stopped", zap.Error(err))
	}
	return shutdown(hurry, srv, node, log)
}

// startError is what serve returns for a start-up step that failed: nothing
// when ctx was cancelled (by a signal; the error is only its echo), else
// err.
func startError(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return nil
	}
	return err
}

// shutdown stops accepting, lets requests in flight finish, then closes the
// node (persisting W and releasing the WorkerId). The socket file goes with
// the listener. Each step is bounded, and hurry (a second signal) ends the
// waiting at once. It returns one error per step that failed.
func shutdown(hurry context.Context, srv *sidecar.Server, node *idcoord.Node, log *zap.Logger) error {
	log.Info("shutting down")
	var errs []error
	ctx, cancel := context.WithTimeout(hurry, shutdownGrace)
	defer cancel()
	if err := srv.Shutdown(ctx); err != nil {
		srv.Close()
		if hurry.Err() == nil {
			errs = append(errs, fmt.Errorf("socket: requests in flight not finished within %s: %w", shutdownGrace, err))
		}
	}
	wid := node.Status().WorkerID
	rctx, cancel := context.WithTimeout(hurry, releaseGrace)
	defer cancel()
	if err := node.Close(rctx); err != nil {
		errs = append(errs, releaseError(hurry, wid, err, log))
	}
	if err := errors.Join(errs...); err != nil {
		return err
	}
	log.Info("stopped; WorkerId released")
	return nil
}

// releaseError says in one line why the WorkerId was not given back, and
// what that means; the store's own error goes to the log.
func releaseError(hurry context.Context, wid int64, err error, log *zap.Logger) error {
	var nr *coord.NotReleasedError
	if !errors.As(err, &nr) {
		return fmt.Errorf("releasing WorkerId %d: %w", wid, err)
	}
	log.Warn("WorkerId not released", zap.Int64("worker-id", nr.WorkerID), zap.Error(nr.Err))
	why := "store unreachable during shutdown"
	switch {
	case hurry.Err() != nil:
		why = "stop cut short by a second signal"
	case !errors.Is(err, coord.ErrUnreachable):
		why = fmt.Sprintf("store refused the release (%v)", nr.Err)
	}
	return fmt.Errorf("%s: WorkerId %d not released; it frees itself when its lease expires in ≤%s", why, nr.WorkerID, nr.Within)
}

// startAdmin serves the admin endpoints and the web console on addr, plus
// the test clock's endpoint in faultclock builds.
func startAdmin(addr string, source sidecar.Source, status func() any, registry *prometheus.Registry,
	clock interface{ Now() time.Time }, faultClock, console http.Handler, log *zap.Logger) (*http.Server, error) {
	handler, err := sidecar.NewAdmin(sidecar.AdminConfig{Source: source, Status: status, Registry: registry,
		Clock: clock, Console: console, Logger: log.Named("admin")})
	if err != nil {
		return nil, err
	}
	if faultClock != nil {
		mux := http.NewServeMux()
		mux.Handle("/", handler)
		mux.Handle("/debug/faultclock", faultClock)
		handler = mux
	}
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("admin.addr: %w", err)
	}
	srv := &http.Server{Handler: handler, ReadHeaderTimeout: 5 * time.Second}
	go func() {
		if err := srv.Serve(l); err != nil && !errors.Is(err, http.ErrServerClosed) {
			log.Error("admin listener stopped", zap.Error(err))
		}
	}()
	return srv, nil
}

// startLeaf serves the Leaf-compatible HTTP API on addr (leaf.addr).
func startLeaf(addr string, source *startingSource, registry prometheus.Registerer, log *zap.Logger) (*http.Server, error) {
	handler, err := sidecar.NewLeaf(sidecar.LeafConfig{Source: source, Segments: source, Registry: registry, Logger: log.Named("leaf")})
	if err != nil {
		return nil, err
	}
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("leaf.addr: %w", err)
	}
	srv := &http.Server{Handler: handler, ReadHeaderTimeout: 5 * time.Second}
	go func() {
		if err := srv.Serve(l); err != nil && !errors.Is(err, http.ErrServerClosed) {
			log.Error("leaf listener stopped", zap.Error(err))
		}
	}()
	return srv, nil
}

// noneIfZero maps clock.max-backward-wait and clock.max-startup-wait onto
// idcoord.Config. A key's 0 means "none is waited out" (README; print-config
// shows 0s); the Config's zero means the default, as every zero Config field
// does (README, "Using it as a Go library"), and a negative value means
// none. Both contracts stand, so the mapping stays here, where keys meet
// configs.
func noneIfZero(d time.Duration) time.Duration {
	if d == 0 {
		return -1
	}
	return d
}
