package loadgen

import (
	"cmp"
	"errors"
	"fmt"
	"time"

	"github.com/idcoord/idcoord/coord"
)

// The protocols a load speaks.
const (
	// ProtocolLine is the line protocol, through client.Conn.
	ProtocolLine = "line"
	// ProtocolHTTP is GET /id or GET /ids?count=N (GET /segment/<tag> or
	// /segment/<tag>?count=N with a Tag) over keep-alive HTTP/1.1, with this
	// package's minimal client.
	ProtocolHTTP = "http"
)

// Defaults for the zero fields of Config, and limits.
const (
	DefaultConns    = 64
	DefaultBatch    = 1
	DefaultDuration = 10 * time.Second
	// MaxConns bounds Config.Conns.
	MaxConns = 10_000
	// DialTimeout bounds connecting all the connections at the start.
	DialTimeout = 5 * time.Second
	// Grace is how long after the end of the run (at most, after the end of
	// the dial budget and the duration) a request may still take before its
	// connection's deadline fails it, so that a hung server cannot hold the
	// run up.
	Grace = 5 * time.Second
)

// ErrBadConfig: a Config field is out of range.
var ErrBadConfig = errors.New("loadgen: bad config")

// Config describes a load. Zero fields take the documented defaults.
type Config struct {
	// Path is the sidecar's socket. Required.
	Path string
	// Protocol is ProtocolLine or ProtocolHTTP. Empty means ProtocolLine.
	Protocol string
	// Conns is how many connections, each driven by its own goroutine, 1
	// to MaxConns. Zero means DefaultConns (64).
	Conns int
	// Batch is how many IDs each request asks for; it should not be above
	// the server's max-batch, which would refuse every request. Zero means
	// DefaultBatch (1).
	Batch int
	// Tag, if not empty, makes every request a segment request for IDs of
	// this tag ("B TAG" on the line protocol, GET /segment/TAG?count=B over
	// HTTP). It must pass coord.CheckTag. Empty means Snowflake IDs.
	Tag string
	// Duration is how long the load runs. Zero means DefaultDuration (10s).
	Duration time.Duration
	// LayoutCap is the configured layout's IDs per second per worker, which
	// the result reports beside the IDs/s. Zero means unknown.
	LayoutCap float64
}

// DefaultConfig returns the defaults for every field but Path.
func DefaultConfig() Config {
	return Config{Protocol: ProtocolLine, Conns: DefaultConns, Batch: DefaultBatch, Duration: DefaultDuration}
}

// Validate reports a missing path, an unknown protocol or a field out of
// range, wrapped in ErrBadConfig.
func (c Config) Validate() error {
	switch {
	case c.Path == "":
		return fmt.Errorf("%w: the socket path is empty", ErrBadConfig)
	case c.Protocol != "" && c.Protocol != ProtocolLine && c.Protocol != ProtocolHTTP:
		return fmt.Errorf("%w: protocol %q: want %s or %s", ErrBadConfig, c.Protocol, ProtocolLine, ProtocolHTTP)
	case c.Conns < 0 || c.Conns > MaxConns:
		return fmt.Errorf("%w: %d connections: want 1 to %d", ErrBadConfig, c.Conns, MaxConns)
	case c.Batch < 0:
		return fmt.Errorf("%w: batch %d: want at least 1", ErrBadConfig, c.Batch)
	case c.Duration < 0:
		return fmt.Errorf("%w: duration %s: want more than 0", ErrBadConfig, c.Duration)
	case c.LayoutCap < 0:
		return fmt.Errorf("%w: layout cap %v: want 0 (unknown) or more", ErrBadConfig, c.LayoutCap)
	}
	if c.Tag != "" {
		if err := coord.CheckTag(c.Tag); err != nil {
			return fmt.Errorf("%w: tag %q: %v", ErrBadConfig, c.Tag, err)
		}
	}
	return nil
}

// withDefaults returns c with its zero fields set to the defaults.
func (c Config) withDefaults() Config {
	d := DefaultConfig()
	c.Protocol = cmp.Or(c.Protocol, d.Protocol)
	c.Conns = cmp.Or(c.Conns, d.Conns)
	c.Batch = cmp.Or(c.Batch, d.Batch)
	c.Duration = cmp.Or(c.Duration, d.Duration)
	return c
}
