package client

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sync"
	"time"

	"github.com/idcoord/idcoord/coord"
)

// Defaults for the zero fields of Config.
const (
	DefaultMaxIdle     = 4
	DefaultDialTimeout = 5 * time.Second
)

// Config configures a Client. Zero fields take the documented defaults.
type Config struct {
	// Path is the sidecar's socket. Required.
	Path string
	// MaxIdle is how many idle connections the pool keeps for reuse; more
	// are opened while more goroutines ask at once, and closed after. Zero
	// means DefaultMaxIdle (4).
	MaxIdle int
	// DialTimeout bounds each dial when ctx has no earlier deadline. Zero
	// means DefaultDialTimeout (5s).
	DialTimeout time.Duration
}

// Validate reports a missing path or a negative field.
func (c Config) Validate() error {
	switch {
	case c.Path == "":
		return fmt.Errorf("%w: the socket path is empty", ErrBadRequest)
	case c.MaxIdle < 0 || c.DialTimeout < 0:
		return fmt.Errorf("%w: max idle %d and dial timeout %s must not be negative", ErrBadRequest, c.MaxIdle, c.DialTimeout)
	}
	return nil
}

// Client asks a sidecar for IDs over a pool of persistent line-protocol
// connections. It is safe for concurrent use.
type Client struct {
	cfg Config
	mu  struct {
		sync.Mutex
		idle   []*Conn
		closed bool
	}
}

// Dial returns a Client for the socket at path with the default pool, after
// checking that the socket accepts a connection.
func Dial(path string) (*Client, error) {
	return New(Config{Path: path})
}

// New returns a Client for cfg, after checking that the socket accepts a
// connection; that connection is kept for the first request.
func New(cfg Config) (*Client, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if cfg.MaxIdle == 0 {
		cfg.MaxIdle = DefaultMaxIdle
	}
	if cfg.DialTimeout == 0 {
		cfg.DialTimeout = DefaultDialTimeout
	}
	c := &Client{cfg: cfg}
	conn, err := c.dial(context.Background())
	if err != nil {
		return nil, err
	}
	c.put(conn)
	return c, nil
}

// NextID asks for one ID.
func (c *Client) NextID(ctx context.Context) (int64, error) {
	var one [1]int64
	return onlyID(c.AppendIDs(ctx, one[:0], 1))
}

// NextIDs asks for n IDs, returned in increasing order.
func (c *Client) NextIDs(ctx context.Context, n int) ([]int64, error) {
	if n < 1 {
		return nil, fmt.Errorf("%w: count must be at least 1, got %d", ErrBadRequest, n)
	}
	return c.AppendIDs(ctx, make([]int64, 0, n), n)
}

// AppendIDs asks for n IDs and appends them to dst. A pooled connection that
// the server closed meanwhile (an idle timeout, a restart) is replaced once,
// transparently; a retried request wastes at most the IDs of the lost
// answer, which is safe.
func (c *Client) AppendIDs(ctx context.Context, dst []int64, n int) ([]int64, error) {
	return c.do(ctx, dst, func(conn *Conn) ([]int64, error) { return conn.AppendIDs(ctx, dst, n) })
}

// NextSegmentID asks for one segment ID of tag.
func (c *Client) NextSegmentID(ctx context.Context, tag string) (int64, error) {
	var one [1]int64
	return onlyID(c.AppendSegmentIDs(ctx, tag, one[:0], 1))
}

// SegmentIDs asks for n segment IDs of tag, returned in increasing order.
func (c *Client) SegmentIDs(ctx context.Context, tag string, n int) ([]int64, error) {
	if n < 1 {
		return nil, fmt.Errorf("%w: count must be at least 1, got %d", ErrBadRequest, n)
	}
	return c.AppendSegmentIDs(ctx, tag, make([]int64, 0, n), n)
}

// AppendSegmentIDs asks for n segment IDs of tag and appends them to dst,
// retrying on a fresh connection as AppendIDs does. An unknown tag is
// ErrNotFound; a tag that coord.CheckTag refuses is ErrBadRequest (and
// coord.ErrBadTag) and is not sent.
func (c *Client) AppendSegmentIDs(ctx context.Context, tag string, dst []int64, n int) ([]int64, error) {
	if err := coord.CheckTag(tag); err != nil {
		return dst, fmt.Errorf("%w: %w", ErrBadRequest, err)
	}
	return c.do(ctx, dst, func(conn *Conn) ([]int64, error) { return conn.appendIDs(ctx, tag, dst, n) })
}

// do runs one request on a pooled connection, and once more on a fresh one
// if a reused connection turned out closed before any answer arrived.
func (c *Client) do(ctx context.Context, dst []int64, req func(*Conn) ([]int64, error)) ([]int64, error) {
	for attempt := 0; ; attempt++ {
		conn, reused, err := c.get(ctx)
		if err != nil {
			return dst, err
		}
		out, err := req(conn)
		broken := conn.err != nil
		c.put(conn)
		if err == nil || !broken {
			return out, err
		}
		if !reused || attempt > 0 || conn.answered || ctx.Err() != nil || errors.Is(err, os.ErrDeadlineExceeded) {
			return dst, err
		}
	}
}

// Close closes the idle connections and makes further calls fail with
// ErrClosed. Connections in use are closed when their call returns.
func (c *Client) Close() error {
	c.mu.Lock()
	idle := c.mu.idle
	c.mu.idle = nil
	c.mu.closed = true
	c.mu.Unlock()
	for _, conn := range idle {
		conn.Close()
	}
	return nil
}

// get takes an idle connection, or dials a new one. reused tells which.
func (c *Client) get(ctx context.Context) (conn *Conn, reused bool, err error) {
	c.mu.Lock()
	if c.mu.closed {
		c.mu.Unlock()
		return nil, false, ErrClosed
	}
	if n := len(c.mu.idle); n > 0 {
		conn = c.mu.idle[n-1]
		c.mu.idle = c.mu.idle[:n-1]
		c.mu.Unlock()
		return conn, true, nil
	}
	c.mu.Unlock()
	conn, err = c.dial(ctx)
	return conn, false, err
}

// put returns a connection to the pool, or closes it if it is broken, the
// pool is full or the Client is closed.
func (c *Client) put(conn *Conn) {
	if conn.err == nil {
		c.mu.Lock()
		if !c.mu.closed && len(c.mu.idle) < c.cfg.MaxIdle {
			c.mu.idle = append(c.mu.idle, conn)
			c.mu.Unlock()
			return
		}
		c.mu.Unlock()
	}
	conn.Close()
}

func (c *Client) dial(ctx context.Context) (*Conn, error) {
	ctx, cancel := context.WithTimeout(ctx, c.cfg.DialTimeout)
	defer cancel()
	return DialConn(ctx, c.cfg.Path)
}
