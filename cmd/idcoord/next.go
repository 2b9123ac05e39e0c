package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"time"

	"github.com/spf13/cobra"

	"github.com/idcoord/idcoord/sidecar/client"
)

// Errors of the next and bench commands, wrapped with the flag and the
// numbers that matter and tested with errors.Is.
var (
	// errBadFlag: a command flag's value is out of range.
	errBadFlag = errors.New("bad flag value")
	// errUnreachable: nothing answers on the socket.
	errUnreachable = errors.New("cannot reach the sidecar")
)

// maxNextCount bounds next -n: the IDs are held in memory until every
// request has succeeded, so that nothing is printed on a failure.
const maxNextCount = 10_000_000

// defaultRequestTimeout bounds one request of next.
const defaultRequestTimeout = 10 * time.Second

// idFetcher asks a sidecar for IDs over one protocol.
type idFetcher interface {
	// appendIDs asks for n IDs, 1 <= n <= max-batch, and appends them to dst.
	appendIDs(ctx context.Context, dst []int64, n int) ([]int64, error)
	close()
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
		f = newHTTPFetcher(path)
	} else {
		dctx, cancel := context.WithTimeout(ctx, timeout)
		c, err := client.DialConn(dctx, path)
		cancel()
		if err != nil {
			return nil, reachError("next", path, err)
		}
		f = lineFetcher{c}
	}
	defer f.close()
	ids := make([]int64, 0, n)
	for len(ids) < n {
		k := min(n-len(ids), maxBatch)
		rctx, cancel := context.WithTimeout(ctx, timeout)
		var err error
		ids, err = f.appendIDs(rctx, ids, k)
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

// reachError wraps a failed connect to the socket at path in
// errUnreachable, as one line that names the path and the reason without
// Go's wrapping ("dial unix ...:").
func reachError(cmd, path string, err error) error {
	var op *net.OpError
	if errors.As(err, &op) && op.Op == "dial" {
		err = op.Err
	}
	return fmt.Errorf("%s: %w at %s: %v (is idcoord serve running there? --socket sets the path)", cmd, errUnreachable, path, err)
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

// lineFetcher asks over one line-protocol connection.
type lineFetcher struct{ c *client.Conn }

func (f lineFetcher) appendIDs(ctx context.Context, dst []int64, n int) ([]int64, error) {
	return f.c.AppendIDs(ctx, dst, n)
}

func (f lineFetcher) close() { f.c.Close() }

// httpFetcher asks with GET /id and GET /ids?count=N over keep-alive HTTP
// connections to the socket.
type httpFetcher struct {
	tr *http.Transport
	hc *http.Client
}

func newHTTPFetcher(path string) *httpFetcher {
	tr := client.NewHTTPTransport(path)
	return &httpFetcher{tr: tr, hc: &http.Client{Transport: tr}}
}

func (f *httpFetcher) close() { f.tr.CloseIdleConnections() }

func (f *httpFetcher) appendIDs(ctx context.Context, dst []int64, n int) ([]int64, error) {
	url := "http://idcoord/id"
	if n != 1 {
		url = "http://idcoord/ids?count=" + strconv.Itoa(n)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return dst, err
	}
	resp, err := f.hc.Do(req)
	if err != nil {
		return dst, err
	}
	defer resp.Body.Close()
	// An answer line is at most 20 bytes; the limit stops a runaway body.
	body, err := io.ReadAll(io.LimitReader(resp.Body, int64(n)*20+4096))
	if err != nil {
		return dst, fmt.Errorf("reading the answer: %w", err)
	}
	if resp.StatusCode != http.StatusOK {
		return dst, httpStatusError(resp.StatusCode, body)
	}
	return parseIDLines(dst, body, n)
}

// httpStatusError maps an HTTP error answer, {"error": "...", "reason":
// "..."}, to the client package's errors, so both protocols fail alike.
func httpStatusError(code int, body []byte) error {
	var e struct {
		Error  string `json:"error"`
		Reason string `json:"reason"`
	}
	if json.Unmarshal(body, &e) != nil || e.Reason == "" {
		e.Reason = fmt.Sprintf("HTTP %d %s", code, http.StatusText(code))
	}
	switch {
	case code == http.StatusServiceUnavailable:
		return fmt.Errorf("%w: %s", client.ErrUnavailable, e.Reason)
	case code == http.StatusBadRequest && e.Error == "toomany":
		return fmt.Errorf("%w: %s", client.ErrTooMany, e.Reason)
	case code == http.StatusBadRequest:
		return fmt.Errorf("%w: %s", client.ErrBadRequest, e.Reason)
	}
	return fmt.Errorf("%w: HTTP %d: %s", client.ErrProtocol, code, e.Reason)
}

// parseIDLines appends the n increasing IDs of a text answer, one decimal
// per line, to dst.
func parseIDLines(dst []int64, body []byte, n int) ([]int64, error) {
	out := dst
	var id int64
	digits := 0
	for _, b := range body {
		switch {
		case '0' <= b && b <= '9' && digits < 19:
			id = id*10 + int64(b-'0')
			digits++
		case b == '\n' && digits > 0 && id >= 0 && len(out)-len(dst) < n:
			if len(out) > len(dst) && id <= out[len(out)-1] {
				return dst, fmt.Errorf("%w: ID %d does not increase on %d", client.ErrProtocol, id, out[len(out)-1])
			}
			out = append(out, id)
			id, digits = 0, 0
		default:
			return dst, fmt.Errorf("%w: unexpected byte %q in an ID answer", client.ErrProtocol, b)
		}
	}
	if digits != 0 || len(out)-len(dst) != n {
		return dst, fmt.Errorf("%w: got %d whole IDs, asked for %d", client.ErrProtocol, len(out)-len(dst), n)
	}
	return out, nil
}
