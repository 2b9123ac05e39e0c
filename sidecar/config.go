package sidecar

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/zap"
)

// Defaults for the zero fields of Config.
const (
	DefaultMaxBatch     = 10000
	DefaultMaxConns     = 1024
	DefaultIdleTimeout  = 5 * time.Minute
	DefaultReadTimeout  = 10 * time.Second
	DefaultWriteTimeout = 10 * time.Second
	// DefaultMaxLineBytes fits a segment request: a count of up to
	// MaxMaxBatch (7 digits), a space and a tag of coord.MaxTagBytes (128),
	// with room to spare.
	DefaultMaxLineBytes   = 160
	DefaultMaxHeaderBytes = 8 << 10
)

// Limits on Config fields, so that one connection's buffers stay small.
// Validate applies them to the fields that are set; a caller that takes
// them from its users checks each with CheckMaxBatch, CheckMaxConns and
// CheckMaxLineBytes.
const (
	// MaxMaxBatch bounds MaxBatch: a batch is one response held in memory.
	MaxMaxBatch = 1_000_000
	// MaxMaxConns bounds MaxConns: each connection holds a goroutine and
	// its buffers.
	MaxMaxConns       = 1 << 20
	MinMaxLineBytes   = 8
	MaxMaxLineBytes   = 4096
	minMaxHeaderBytes = 1 << 10
	maxMaxHeaderBytes = 1 << 20
)

// MaxSocketPath is the longest socket path: a Linux sockaddr_un's sun_path
// holds 108 bytes with the terminating NUL.
const MaxSocketPath = 107

// CheckSocketPath reports whether Listen can create a socket at path: a
// file path (not empty, not an abstract '@' name, which has no file mode
// to guard it) of at most MaxSocketPath bytes, without a NUL. The error
// says what is wrong, without the path: the caller names it.
func CheckSocketPath(path string) error {
	switch {
	case path == "":
		return errors.New("must not be empty")
	case path[0] == '@':
		return errors.New("abstract socket names (@...) are refused; give a file path, whose folder permissions guard it")
	case strings.ContainsRune(path, 0):
		return errors.New("holds a NUL byte")
	case len(path) > MaxSocketPath:
		return fmt.Errorf("is %d bytes; a Unix socket path holds at most %d", len(path), MaxSocketPath)
	}
	return nil
}

// CheckSocketMode reports whether mode can be the socket's file mode: only
// permission bits, 0 to 0777 (0 means DefaultSocketMode).
func CheckSocketMode(mode os.FileMode) error {
	if mode&^fs.ModePerm != 0 {
		return errors.New("above 0777; only permission bits may be set")
	}
	return nil
}

// CheckMaxBatch reports whether n can be a MaxBatch: 1 to MaxMaxBatch. The
// error says what is wrong, without n: the caller names the field.
func CheckMaxBatch(n int) error { return checkRange(n, 1, MaxMaxBatch) }

// CheckMaxConns reports whether n can be a MaxConns: 1 to MaxMaxConns.
func CheckMaxConns(n int) error { return checkRange(n, 1, MaxMaxConns) }

// CheckMaxLineBytes reports whether n can be a MaxLineBytes:
// MinMaxLineBytes to MaxMaxLineBytes.
func CheckMaxLineBytes(n int) error { return checkRange(n, MinMaxLineBytes, MaxMaxLineBytes) }

// checkRange reports whether n is in lo..hi.
func checkRange(n, lo, hi int) error {
	if n < lo || n > hi {
		return fmt.Errorf("outside %d..%d", lo, hi)
	}
	return nil
}

// Config configures a Server. Zero fields take the documented defaults.
type Config struct {
	// Source issues the IDs. Required.
	Source Source
	// Segments issues segment IDs ("N TAG" lines, GET /segment/<tag>). Nil
	// means every segment request answers as an unknown tag (NOTFOUND, 404)
	// saying that segment mode is not served here.
	Segments SegmentSource
	// Status returns a JSON-marshalable snapshot for GET /status, such as
	// func() any { return node.Status() }. Nil means /status answers 404.
	Status func() any
	// MaxBatch is the most IDs one request may ask for; larger asks get
	// TOOMANY (line) or 400 (HTTP). Zero means DefaultMaxBatch (10000); at
	// most MaxMaxBatch (1000000).
	MaxBatch int
	// MaxConns is the most connections served at once, over all listeners.
	// Further connections get "ERR UNAVAILABLE too many connections" and are
	// closed. Zero means DefaultMaxConns (1024); at most MaxMaxConns.
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
	// DefaultMaxLineBytes (160, enough for a count and the longest tag); 8
	// to 4096. Below 137 some segment requests (a 7-digit count, a space
	// and a 128-byte tag) do not fit.
	MaxLineBytes int
	// MaxHeaderBytes bounds an HTTP request's header. Zero means
	// DefaultMaxHeaderBytes (8 KiB); 1 KiB to 1 MiB.
	MaxHeaderBytes int
	// AllowedUIDs, if non-nil, are the only peer uids (SO_PEERCRED, Linux)
	// allowed to connect; others are logged with their pid and uid and
	// closed. Nil (the zero value) allows any peer the socket's file mode
	// lets in; an empty, non-nil list allows none.
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
	bad := func(format string, args ...any) error {
		return fmt.Errorf("%w: "+format, append([]any{ErrBadConfig}, args...)...)
	}
	limits := []struct {
		name  string
		n     int
		check func(int) error
	}{
		{"max-batch", c.MaxBatch, CheckMaxBatch},
		{"max connections", c.MaxConns, CheckMaxConns},
		{"max line bytes", c.MaxLineBytes, CheckMaxLineBytes},
		{"max header bytes", c.MaxHeaderBytes, func(n int) error { return checkRange(n, minMaxHeaderBytes, maxMaxHeaderBytes) }},
	}
	if c.Source == nil {
		return bad("Source is nil")
	}
	for _, l := range limits {
		if l.n == 0 {
			continue
		}
		if err := l.check(l.n); err != nil {
			return bad("%s %d is %v", l.name, l.n, err)
		}
	}
	switch {
	case c.IdleTimeout < 0 || c.ReadTimeout < 0 || c.WriteTimeout < 0:
		return bad("timeouts must not be negative (idle %s, read %s, write %s)", c.IdleTimeout, c.ReadTimeout, c.WriteTimeout)
	case c.AllowedUIDs != nil && !peerCredSupported:
		return bad("allowed uids need SO_PEERCRED, which this OS lacks")
	}
	return nil
}

// withDefaults returns c with its zero fields set to the defaults.
func (c Config) withDefaults() Config {
	d := DefaultConfig()
	orDefault(&c.MaxBatch, d.MaxBatch)
	orDefault(&c.MaxConns, d.MaxConns)
	orDefault(&c.IdleTimeout, d.IdleTimeout)
	orDefault(&c.ReadTimeout, d.ReadTimeout)
	orDefault(&c.WriteTimeout, d.WriteTimeout)
	orDefault(&c.MaxLineBytes, d.MaxLineBytes)
	orDefault(&c.MaxHeaderBytes, d.MaxHeaderBytes)
	if c.Logger == nil {
		c.Logger = zap.NewNop()
	}
	return c
}

// orDefault sets *v to def if *v is the zero value.
func orDefault[T comparable](v *T, def T) {
	var zero T
	if *v == zero {
		*v = def
	}
}
