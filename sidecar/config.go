package sidecar

import (
	"fmt"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/zap"
)

// Defaults for the zero fields of Config.
const (
	DefaultMaxBatch       = 10000
	DefaultMaxConns       = 1024
	DefaultIdleTimeout    = 5 * time.Minute
	DefaultReadTimeout    = 10 * time.Second
	DefaultWriteTimeout   = 10 * time.Second
	DefaultMaxLineBytes   = 64
	DefaultMaxHeaderBytes = 8 << 10
)

// Limits on Config fields, so that one connection's buffers stay small.
const (
	maxMaxBatch       = 1 << 20
	minMaxLineBytes   = 8
	maxMaxLineBytes   = 4096
	minMaxHeaderBytes = 1 << 10
	maxMaxHeaderBytes = 1 << 20
)

// Config configures a Server. Zero fields take the documented defaults.
type Config struct {
	// Source issues the IDs. Required.
	Source Source
	// Status returns a JSON-marshalable snapshot for GET /status, such as
	// func() any { return node.Status() }. Nil means /status answers 404.
	Status func() any
	// MaxBatch is the most IDs one request may ask for; larger asks get
	// TOOMANY (line) or 400 (HTTP). Zero means DefaultMaxBatch (10000); at
	// most 1048576.
	MaxBatch int
	// MaxConns is the most connections served at once, over all listeners.
	// Further connections get "ERR UNAVAILABLE too many connections" and are
	// closed. Zero means DefaultMaxConns (1024).
	MaxConns int
	// IdleTimeout closes a connection that starts no request for this long.
	// Zero means DefaultIdleTimeout (5m).
	IdleTimeout time.Duration
	// ReadTimeout bounds the time from the first byte of a request to its
	// end (the line's '\n', or the HTTP headers). Zero means
	// DefaultReadTimeout (10s).
	ReadTimeout time.Duration
	// WriteTimeout bounds each write of a response to a client that does not
	// read. Zero means DefaultWriteTimeout (10s).
	WriteTimeout time.Duration
	// MaxLineBytes is the longest line-protocol request, without its '\n'.
	// A longer line gets BADREQUEST and the connection is closed. Zero means
	// DefaultMaxLineBytes (64); 8 to 4096.
	MaxLineBytes int
	// MaxHeaderBytes bounds an HTTP request's header. Zero means
	// DefaultMaxHeaderBytes (8 KiB); 1 KiB to 1 MiB.
	MaxHeaderBytes int
	// AllowedUIDs, if non-nil, are the only peer uids (SO_PEERCRED, Linux)
	// allowed to connect; others are logged with their pid and uid and
	// closed. Nil allows any peer the socket's file mode lets in.
	AllowedUIDs []uint32
	// Logger receives the server's logs. Nil means no logging.
	Logger *zap.Logger
	// Registry, if not nil, gets the server's metrics registered (see
	// NewAdmin for serving them). A *prometheus.Registry fits.
	Registry prometheus.Registerer
}

// DefaultConfig returns a Config with every default filled in and no Source.
func DefaultConfig() Config {
	return Config{
		MaxBatch:       DefaultMaxBatch,
		MaxConns:       DefaultMaxConns,
		IdleTimeout:    DefaultIdleTimeout,
		ReadTimeout:    DefaultReadTimeout,
		WriteTimeout:   DefaultWriteTimeout,
		MaxLineBytes:   DefaultMaxLineBytes,
		MaxHeaderBytes: DefaultMaxHeaderBytes,
	}
}

// Validate reports the first field that is missing or out of range. Zero
// fields are valid: they mean the defaults.
func (c Config) Validate() error {
	switch {
	case c.Source == nil:
		return fmt.Errorf("%w: Source is nil", ErrBadConfig)
	case c.MaxBatch < 0 || c.MaxBatch > maxMaxBatch:
		return fmt.Errorf("%w: max-batch %d is outside 1..%d", ErrBadConfig, c.MaxBatch, maxMaxBatch)
	case c.MaxConns < 0:
		return fmt.Errorf("%w: max connections %d is negative", ErrBadConfig, c.MaxConns)
	case c.IdleTimeout < 0 || c.ReadTimeout < 0 || c.WriteTimeout < 0:
		return fmt.Errorf("%w: timeouts must not be negative (idle %s, read %s, write %s)",
			ErrBadConfig, c.IdleTimeout, c.ReadTimeout, c.WriteTimeout)
	case c.MaxLineBytes != 0 && (c.MaxLineBytes < minMaxLineBytes || c.MaxLineBytes > maxMaxLineBytes):
		return fmt.Errorf("%w: max line bytes %d is outside %d..%d",
			ErrBadConfig, c.MaxLineBytes, minMaxLineBytes, maxMaxLineBytes)
	case c.MaxHeaderBytes != 0 && (c.MaxHeaderBytes < minMaxHeaderBytes || c.MaxHeaderBytes > maxMaxHeaderBytes):
		return fmt.Errorf("%w: max header bytes %d is outside %d..%d",
			ErrBadConfig, c.MaxHeaderBytes, minMaxHeaderBytes, maxMaxHeaderBytes)
	case c.AllowedUIDs != nil && !peerCredSupported:
		return fmt.Errorf("%w: allowed uids need SO_PEERCRED, which this OS lacks", ErrBadConfig)
	}
	return nil
}

// withDefaults returns c with its zero fields set to the defaults.
func (c Config) withDefaults() Config {
	d := DefaultConfig()
	if c.MaxBatch == 0 {
		c.MaxBatch = d.MaxBatch
	}
	if c.MaxConns == 0 {
		c.MaxConns = d.MaxConns
	}
	if c.IdleTimeout == 0 {
		c.IdleTimeout = d.IdleTimeout
	}
	if c.ReadTimeout == 0 {
		c.ReadTimeout = d.ReadTimeout
	}
	if c.WriteTimeout == 0 {
		c.WriteTimeout = d.WriteTimeout
	}
	if c.MaxLineBytes == 0 {
		c.MaxLineBytes = d.MaxLineBytes
	}
	if c.MaxHeaderBytes == 0 {
		c.MaxHeaderBytes = d.MaxHeaderBytes
	}
	if c.Logger == nil {
		c.Logger = zap.NewNop()
	}
	return c
}
