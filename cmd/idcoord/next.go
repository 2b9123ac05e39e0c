package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"time"

	"github.com/spf13/cobra"

	"github.com/idcoord/idcoord/sidecar/client"
)

// maxNextCount bounds next -n: the IDs are held in memory until every
// request has succeeded, so that nothing is printed on a failure.
const maxNextCount = 10_000_000

// defaultRequestTimeout bounds one request of next.
const defaultRequestTimeout = 10 * time.Second

// idFetcher asks a sidecar for IDs over one protocol: a *client.Conn or a
// *client.HTTPClient.
type idFetcher interface {
	// AppendIDs asks for n IDs, 1 <= n <= max-batch, and appends them to dst.
	AppendIDs(ctx context.Context, dst []int64, n int) ([]int64, error)
	Close() error
}

func newNextCommand(cfg *config) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "next [-n N] [--socket PATH] [--http]",
		Short: "Ask the sidecar for IDs and print them, one per line",
		Long: `Next asks the sidecar listening on the socket (--socket, default
/run/idcoord/idcoord.sock) for N IDs and prints them in decimal, one per
line.

By default it speaks the line protocol; --http asks with GET /id (N = 1) or
GET /ids?count=N instead. N may exceed max-batch (--max-batch, default
10000, which must not be above the server's): the IDs are then asked for in
several requests of at most max-batch each, in order, on one connection.
Each answer's IDs increase; a later answer's may not, after the server
changed WorkerIds, but all are unique.

Nothing is printed unless every request succeeds. An error (the socket is
missing, the server is not safe to issue, a request is refused) is printed
as one line and the exit code is 1.`,
		Example: "  idcoord next\n  idcoord next -n 5 --socket /run/idcoord/idcoord.sock\n  idcoord next --http -n 25000",
		Args:    cobra.NoArgs,
	}
	var (
		count   int
		useHTTP bool
		timeout time.Duration
	)
	cmd.Flags().IntVarP(&count, "count", "n", 1, fmt.Sprintf("number of IDs, 1 to %d", maxNextCount))
	cmd.Flags().BoolVar(&useHTTP, "http", false, "ask over HTTP (GET /id, /ids?count=N) instead of the line protocol")
	cmd.Flags().DurationVar(&timeout, "timeout", defaultRequestTimeout, "bound on each request, including the connect")
	cmd.RunE = func(cmd *cobra.Command, _ []string) error {
		if count < 1 || count > maxNextCount {
			return fmt.Errorf("next: %w: -n %d: want 1 to %d IDs", errBadFlag, count, maxNextCount)
		}
		if timeout <= 0 {
			return fmt.Errorf("next: %w: --timeout %s: want more than 0", errBadFlag, timeout)
		}
		s, err := cfg.Settings()
		if err != nil {
			return err
		}
		ids, err := fetchIDs(cmd.Context(), s.Socket.Path, useHTTP, count, s.MaxBatch, timeout)
		if err != nil {
			return err
		}
		return printIDs(cmd.OutOrStdout(), ids)
	}
	return cmd
}

// fetchIDs asks the sidecar at path for n IDs in requests of at most
// maxBatch, each bounded by timeout.
func fetchIDs(ctx context.Context, path string, useHTTP bool, n, maxBatch int, timeout time.Duration) ([]int64, error) {
	var f idFetcher
	if useHTTP {
		f = client.NewHTTPClient(path)
	} else {
		dctx, cancel := context.WithTimeout(ctx, timeout)
		c, err := client.DialConn(dctx, path)
		cancel()
		if err != nil {
			return nil, reachError("next", path, err)
		}
		f = c
	}
	defer f.Close()
	ids := make([]int64, 0, n)
	for len(ids) < n {
		k := min(n-len(ids), maxBatch)
		rctx, cancel := context.WithTimeout(ctx, timeout)
		var err error
		ids, err = f.AppendIDs(rctx, ids, k)
		cancel()
		if err != nil {
			if isDialError(err) {
				return nil, reachError("next", path, err)
			}
			return nil, fmt.Errorf("next: asking %s for %d IDs (%d of %d received): %w", path, k, len(ids), n, err)
		}
	}
	return ids, nil
}

// isDialError reports whether err is a failed connect.
func isDialError(err error) bool {
	var op *net.OpError
	return errors.As(err, &op) && op.Op == "dial"
}

// printIDs writes ids in decimal, one per line.
func printIDs(w io.Writer, ids []int64) error {
	bw := bufio.NewWriterSize(w, 64<<10)
	var buf [24]byte
	for _, id := range ids {
		b := strconv.AppendInt(buf[:0], id, 10)
		bw.Write(append(b, '\n'))
	}
	return bw.Flush()
}
