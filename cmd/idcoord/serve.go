package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os/signal"
	"syscall"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/spf13/cobra"
	"go.uber.org/zap"

	"github.com/idcoord/idcoord"
	"github.com/idcoord/idcoord/sidecar"
)

// shutdownGrace bounds each step of a graceful stop.
const shutdownGrace = 10 * time.Second

func newServeCommand(cfg *config) *cobra.Command {
	return &cobra.Command{
		Use:   "serve",
		Short: "Hold a WorkerId and serve IDs on the Unix socket, with the admin listener",
		Long: `serve binds the Unix socket (line protocol and HTTP/1.1) and the admin TCP
listener (/metrics, /healthz, /readyz, /clock, /status), acquires a WorkerId
from the store, and serves IDs once it is safe. It refuses to start, with a
one-line reason and a non-zero exit, on a clock rollback, drift from the
peers, no free WorkerId, a bad config, or a store unreachable for 30s.
SIGTERM stops accepting, finishes requests in flight, persists W, releases
the WorkerId, removes the socket and exits 0.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			s, err := cfg.Settings()
			if err != nil {
				return err
			}
			if err := s.Layout.Validate(); err != nil {
				return err
			}
			log, err := newLogger(s.Log, cmd.ErrOrStderr())
			if err != nil {
				return err
			}
			defer log.Sync() //nolint:errcheck // nothing to do about a failed flush
			ctx, stop := signal.NotifyContext(cmd.Context(), syscall.SIGTERM, syscall.SIGINT)
			defer stop()
			return serve(ctx, s, log)
		},
	}
}

// serve runs the node until ctx is done, then stops it gracefully.
func serve(ctx context.Context, s *settings, log *zap.Logger) error {
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
	var allowed []uint32 // nil: any peer; the sidecar reads an empty list as "none"
	if len(s.Socket.AllowedUIDs) > 0 {
		allowed = s.Socket.AllowedUIDs
	}
	srv, err := sidecar.New(sidecar.Config{Source: source, Status: status, MaxBatch: s.MaxBatch,
		MaxConns: s.Socket.MaxConns, IdleTimeout: s.Socket.IdleTimeout, ReadTimeout: s.Socket.ReadTimeout,
		MaxLineBytes: s.Socket.MaxRequestBytes, AllowedUIDs: allowed, Logger: log.Named("sidecar"), Registry: registry})
	if err != nil {
		ln.Close()
		return err
	}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()

	admin, err := startAdmin(s.Admin.Addr, source, status, registry, clock, faultClock, log)
	if err != nil {
		srv.Close()
		return err
	}
	defer admin.Close()

	st, err := openStore(ctx, s, advertise, log)
	if err != nil {
		srv.Close()
		return err
	}
	defer st.stop()
	node, err := idcoord.Start(ctx, idcoord.Config{
		Backend: st.backend, Node: s.NodeName, Admin: advertise, Layout: s.Layout, Reserved: s.Reserved,
		Clock: clock, MaxBackwardWait: backwardWait(s.Clock.MaxBackwardWait), MaxStartupWait: s.Clock.MaxStartupWait,
		MaxDrift: s.Clock.MaxDrift, Logger: log,
	})
	if err != nil {
		srv.Close()
		if ctx.Err() != nil {
			return nil // stopped by a signal while starting
		}
		return err
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
	return shutdown(srv, node, log)
}

// shutdown stops accepting, lets requests in flight finish, then closes the
// node (persisting W and releasing the WorkerId). The socket file goes with
// the listener.
func shutdown(srv *sidecar.Server, node *idcoord.Node, log *zap.Logger) error {
	log.Info("shutting down")
	ctx, cancel := context.WithTimeout(context.Background(), shutdownGrace)
	defer cancel()
	var errs []error
	if err := srv.Shutdown(ctx); err != nil {
		errs = append(errs, fmt.Errorf("socket: %w", err))
		srv.Close()
	}
	if err := node.Close(ctx); err != nil {
		errs = append(errs, fmt.Errorf("releasing the WorkerId: %w", err))
	}
	if err := errors.Join(errs...); err != nil {
		return err
	}
	log.Info("stopped; WorkerId released")
	return nil
}

// startAdmin serves the admin endpoints on addr, plus the test clock's
// endpoint in faultclock builds.
func startAdmin(addr string, source sidecar.Source, status func() any, registry *prometheus.Registry,
	clock interface{ Now() time.Time }, faultClock http.Handler, log *zap.Logger) (*http.Server, error) {
	handler, err := sidecar.NewAdmin(sidecar.AdminConfig{Source: source, Status: status, Registry: registry,
		Clock: clock, Logger: log.Named("admin")})
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

// backwardWait maps clock.max-backward-wait, where 0 means "never wait", to
// the library's convention, where 0 means the default and negative never.
func backwardWait(d time.Duration) time.Duration {
	if d == 0 {
		return -1
	}
	return d
}
