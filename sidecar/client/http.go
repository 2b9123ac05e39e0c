package client

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"

	"github.com/idcoord/idcoord/coord"
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

// HTTPClient asks a sidecar for IDs with GET /id and GET /ids?count=N over
// keep-alive HTTP connections to its socket. Its errors are the line
// protocol's (ErrUnavailable, ErrBadRequest, ErrTooMany, ErrProtocol), so
// that both protocols fail alike; a failed connect is net/http's error. It
// is safe for concurrent use.
type HTTPClient struct {
	tr *http.Transport
	hc *http.Client
}

// NewHTTPClient returns an HTTPClient for the socket at path. It connects
// on the first request.
func NewHTTPClient(path string) *HTTPClient {
	tr := NewHTTPTransport(path)
	return &HTTPClient{tr: tr, hc: &http.Client{Transport: tr}}
}

// Close closes the idle connections.
func (c *HTTPClient) Close() error {
	c.tr.CloseIdleConnections()
	return nil
}

// AppendIDs asks for n increasing IDs and appends them to dst; ctx bounds
// the request. On error dst is returned unchanged.
func (c *HTTPClient) AppendIDs(ctx context.Context, dst []int64, n int) ([]int64, error) {
	url := "http://idcoord/id"
	if n != 1 {
		url = "http://idcoord/ids?count=" + strconv.Itoa(n)
	}
	return c.get(ctx, url, dst, n)
}

// AppendSegmentIDs asks for n increasing segment IDs of tag (GET
// /segment/<tag>?count=N) and appends them to dst. A tag that
// coord.CheckTag refuses is ErrBadRequest and is not sent; an unknown tag
// is ErrNotFound.
func (c *HTTPClient) AppendSegmentIDs(ctx context.Context, tag string, dst []int64, n int) ([]int64, error) {
	if err := coord.CheckTag(tag); err != nil {
		return dst, fmt.Errorf("%w: %w", ErrBadRequest, err)
	}
	return c.get(ctx, "http://idcoord/segment/"+tag+"?count="+strconv.Itoa(n), dst, n)
}

// get asks url for n IDs and appends them to dst.
func (c *HTTPClient) get(ctx context.Context, url string, dst []int64, n int) ([]int64, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return dst, err
	}
	resp, err := c.hc.Do(req)
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
		return dst, StatusError(resp.StatusCode, body)
	}
	return parseIDLines(dst, body, n)
}

// StatusError maps an HTTP error answer of the sidecar, status code and
// body {"error": "...", "reason": "..."}, to this package's errors: 503 is
// ErrUnavailable, 400 ErrTooMany or ErrBadRequest, 404 "notfound" (an
// unknown segment tag, or an unknown path) ErrNotFound, any other ErrProtocol;
// each is wrapped with the server's reason.
func StatusError(code int, body []byte) error {
	var e struct {
		Error  string `json:"error"`
		Reason string `json:"reason"`
	}
	if json.Unmarshal(body, &e) != nil || e.Reason == "" {
		e.Reason = fmt.Sprintf("HTTP %d %s", code, http.StatusText(code))
	}
	switch {
	case code == http.StatusServiceUnavailable:
		return fmt.Errorf("%w: %s", ErrUnavailable, e.Reason)
	case code == http.StatusBadRequest && e.Error == "toomany":
		return fmt.Errorf("%w: %s", ErrTooMany, e.Reason)
	case code == http.StatusBadRequest:
		return fmt.Errorf("%w: %s", ErrBadRequest, e.Reason)
	case code == http.StatusNotFound && e.Error == "notfound":
		return fmt.Errorf("%w: %s", ErrNotFound, e.Reason)
	}
	return fmt.Errorf("%w: HTTP %d: %s", ErrProtocol, code, e.Reason)
}
