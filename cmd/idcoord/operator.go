package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"sync"
	"time"

	"github.com/spf13/cobra"
	"go.uber.org/zap"

	"github.com/idcoord/idcoord/coord"
	"github.com/idcoord/idcoord/coord/store"
)

// operatorTimeout bounds one operator command, connecting included.
const operatorTimeout = 30 * time.Second

// slowStore is how long an operator command waits for its store in silence;
// a longer wait gets one line on stderr that names what it waits for.
const slowStore = time.Second

// inspection is a client of the configured store for the operator commands.
type inspection struct {
	coord.Backend
	coord.Inspector
}

// openInspection connects to the store in s as a client: etcd.endpoints for
// etcd and for embedded (where idcoord serve runs the etcd), zk.servers for
// ZooKeeper. It never starts an embedded etcd and never retries: an
// operator wants the answer now. Warnings go to stderr; the store's
// informational logs are left out.
func openInspection(ctx context.Context, s *settings, stderr io.Writer) (*inspection, error) {
	logs := s.Log
	if logs.Level == "debug" || logs.Level == "info" {
		logs.Level = "warn"
	}
	log, err := newLogger(logs, stderr)
	if err != nil {
		return nil, err
	}
	b, err := dialStore(ctx, s, stderr, log)
	if err != nil {
		if s.Coord == coordEmbedded && errors.Is(err, coord.ErrUnreachable) {
			err = fmt.Errorf("%w (coord is embedded: is idcoord serve running with the etcd at etcd.endpoints %v?)", err, s.Etcd.Endpoints)
		}
		return nil, err
	}
	ins, ok := b.(coord.Inspector)
	if !ok {
		b.Close()
		return nil, fmt.Errorf("%w: the %s backend (%T) lists no holders", errNoInspector, s.Coord, b)
	}
	return &inspection{Backend: b, Inspector: ins}, nil
}

// dialStore connects to the store in s as a client (store.Dial), and says
// on stderr what it is waiting for when that takes longer than slowStore.
// It gives up when the backend does (its own connect timeout) or when ctx
// ends.
func dialStore(ctx context.Context, s *settings, stderr io.Writer, log *zap.Logger) (coord.Backend, error) {
	stop := noticeIfSlow(stderr, slowStore, fmt.Sprintf("waiting for %s to answer...", storeName(s)))
	defer stop()
	return store.Dial(ctx, storeConfig(s, "", log))
}

// noticeIfSlow writes msg as one line to w once the duration after has
// passed, unless the returned stop is called before. stop writes msg itself
// when after has passed but the timer has not fired yet (a loaded machine),
// so whether the line appears depends only on how long the wait took.
// Nothing is written to w once stop returns.
func noticeIfSlow(w io.Writer, after time.Duration, msg string) (stop func()) {
	var once sync.Once
	say := func() { once.Do(func() { fmt.Fprintln(w, msg) }) }
	start := time.Now()
	t := time.AfterFunc(after, say)
	return func() {
		// A timer that fired has started say: once.Do returns after it has
		// written.
		if !t.Stop() || time.Since(start) >= after {
			say()
		}
	}
}

// inspect runs one operator command against the store: it opens a client
// with openInspection, under operatorTimeout from cmd's context, runs fn with
// it, and closes it. An error from opening is returned as it is; fn wraps its
// own errors with the command's name.
func inspect(cmd *cobra.Command, s *settings, fn func(ctx context.Context, ins *inspection) error) error {
	ctx, cancel := context.WithTimeout(cmd.Context(), operatorTimeout)
	defer cancel()
	ins, err := openInspection(ctx, s, cmd.ErrOrStderr())
	if err != nil {
		return err
	}
	defer ins.Close()
	return fn(ctx, ins)
}

// onStore sets cmd's RunE for an operator command that reads the store: it
// checks the output flag out, reads the settings, and runs fn with a client
// of the store (inspect) and the command's arguments.
func onStore(cmd *cobra.Command, cfg *config, out *output, fn func(ctx context.Context, ins *inspection, s *settings, args []string) error) {
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		s, err := checkedSettings(cfg, out)
		if err != nil {
			return err
		}
		return inspect(cmd, s, func(ctx context.Context, ins *inspection) error { return fn(ctx, ins, s, args) })
	}
}

// storeName names the store for messages: "etcd [host:port]" or
// "ZooKeeper [host:port]".
func storeName(s *settings) string {
	if s.Coord == coordZK {
		return fmt.Sprintf("ZooKeeper %v", s.ZK.Servers)
	}
	return fmt.Sprintf("etcd %v", s.Etcd.Endpoints)
}

// parseWorkerID reads a WorkerId argument, which must fit the layout.
func parseWorkerID(s *settings, arg string) (int64, error) {
	wid, err := strconv.ParseInt(arg, 10, 64)
	if err != nil || wid < 0 || wid > s.Layout.MaxWorkerID() {
		return 0, fmt.Errorf("%w %q: want a number from 0 to %d (%d worker bits)", errBadWorkerID, arg, s.Layout.MaxWorkerID(), s.Layout.WorkerBits)
	}
	return wid, nil
}
