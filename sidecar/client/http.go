package client

import (
	"context"
	"net"
	"net/http"
)

// NewHTTPTransport returns an http.Transport that reaches the sidecar's HTTP
// endpoints over the socket at path, whatever host a URL names (use
// "http://idcoord/id"). Set MaxIdleConnsPerHost to the number of concurrent
// requests to keep their connections alive.
func NewHTTPTransport(path string) *http.Transport {
	var d net.Dialer
	return &http.Transport{
		DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			return d.DialContext(ctx, "unix", path)
		},
		MaxIdleConnsPerHost: DefaultMaxIdle,
		DisableCompression:  true,
	}
}
