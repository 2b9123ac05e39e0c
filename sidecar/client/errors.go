package client

import "errors"

// Errors returned by this package, wrapped with the server's reason or the
// details that matter; test them with errors.Is.
var (
	// ErrUnavailable: the server cannot issue IDs safely now (ERR
	// UNAVAILABLE), or it refused the connection because it has too many.
	ErrUnavailable = errors.New("client: unavailable")
	// ErrBadRequest: the server or the client refused the request as
	// malformed (ERR BADREQUEST), such as a count below 1.
	ErrBadRequest = errors.New("client: bad request")
	// ErrTooMany: the count is over the server's max-batch (ERR TOOMANY).
	ErrTooMany = errors.New("client: too many IDs asked for")
	// ErrNotFound: the server knows no segment tag of that name (ERR
	// NOTFOUND, HTTP 404), or serves no segment mode.
	ErrNotFound = errors.New("client: not found")
	// ErrProtocol: the server's answer was not a valid line.
	ErrProtocol = errors.New("client: protocol error")
	// ErrClosed: the Client or Conn was closed.
	ErrClosed = errors.New("client: closed")
)
