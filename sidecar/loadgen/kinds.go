package loadgen

import (
	"context"
	"errors"
	"os"
	"slices"

	"github.com/idcoord/idcoord/sidecar/client"
)

// errKind classifies a failed request for the report.
type errKind int

const (
	kindUnavailable errKind = iota // the server is not safe to issue (ERR UNAVAILABLE, 503)
	kindBadRequest                 // ERR BADREQUEST, 400
	kindTooMany                    // ERR TOOMANY, 400 toomany
	kindNotFound                   // ERR NOTFOUND, 404: an unknown segment tag
	kindProtocol                   // a malformed answer, or an unexpected HTTP status
	kindTimeout                    // no answer before the run's hard deadline
	kindIO                         // the connection broke
	kindDial                       // reconnecting after a broken connection failed
	numErrKinds
)

// errKindNames name the kinds in the report; the first four are the
// server's own result names.
var errKindNames = [numErrKinds]string{"unavailable", "badrequest", "toomany", "notfound", "protocol", "timeout", "io", "dial"}

// classify returns the kind of a request's error.
func classify(err error) errKind {
	switch {
	case errors.Is(err, client.ErrUnavailable):
		return kindUnavailable
	case errors.Is(err, client.ErrBadRequest):
		return kindBadRequest
	case errors.Is(err, client.ErrTooMany):
		return kindTooMany
	case errors.Is(err, client.ErrNotFound):
		return kindNotFound
	case errors.Is(err, client.ErrProtocol):
		return kindProtocol
	case errors.Is(err, os.ErrDeadlineExceeded), errors.Is(err, context.DeadlineExceeded):
		return kindTimeout
	}
	return kindIO
}

// ErrorKinds returns the names of the kinds of failed requests, in the
// order a report lists them: the keys of Result.ErrorKinds.
func ErrorKinds() []string { return slices.Clone(errKindNames[:]) }
