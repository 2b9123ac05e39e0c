package sidecar

import "errors"

// Errors returned by this package. They are wrapped with details (the path,
// the numbers that matter) and are meant to be tested with errors.Is.
var (
	// ErrServerClosed is returned by Serve after Shutdown or Close.
	ErrServerClosed = errors.New("sidecar: server closed")
	// ErrBadConfig: a Config or AdminConfig field is out of range.
	ErrBadConfig = errors.New("sidecar: bad config")
	// ErrSocketPath: the socket path is empty, abstract ('@') or too long.
	ErrSocketPath = errors.New("sidecar: bad socket path")
	// ErrNotSocket: the socket path exists and is not a socket. Listen never
	// removes such a file.
	ErrNotSocket = errors.New("sidecar: path exists and is not a socket")
	// ErrSocketLive: another server answers on the socket path.
	ErrSocketLive = errors.New("sidecar: another server is live on")
)
