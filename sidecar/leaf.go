package sidecar

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/zap"

	"github.com/idcoord/idcoord/coord"
)

// LeafConfig configures the Leaf-compatible HTTP handler. Zero fields take
// the documented defaults.
type LeafConfig struct {
	// Source serves /api/snowflake/get/<key>. Required.
	Source Source
	// Segments serves /api/segment/get/<tag>. Nil means every segment
	// request fails (500) saying that segment mode is not served here.
	Segments SegmentSource
	// Logger receives a debug line for each failed request. Nil means no
	// logging.
	Logger *zap.Logger
	// Registry, if not nil, gets idcoord_sidecar_leaf_requests_total
	// registered.
	Registry prometheus.Registerer
}

// Validate reports a missing Source.
func (c LeafConfig) Validate() error {
	if c.Source == nil {
		return fmt.Errorf("%w: leaf Source is nil", ErrBadConfig)
	}
	return nil
}

// The paths of Leaf's HTTP API.
const (
	leafSegmentPath   = "/api/segment/get/"
	leafSnowflakePath = "/api/snowflake/get/"
)

// NewLeaf returns the handler of the Leaf-compatible TCP listener, which
// the caller opens. It answers as a Meituan Leaf server does, so that
// Leaf's clients move over by changing a host name:
//
//	GET /api/segment/get/<tag>    one segment ID of tag
//	GET /api/snowflake/get/<key>  one Snowflake ID; key is required but
//	                              ignored, as Leaf ignores it
//
// An ID is answered 200 as its decimal digits (text/plain, no newline). An
// unknown or bad tag, or no ID that is safe to issue, is 500 with a
// one-line reason. Any other path (an empty tag or key, an extra path
// element) is 404 and any method but GET 405. It serves nothing of the
// admin or socket API. The handler is safe for concurrent use.
func NewLeaf(cfg LeafConfig) (http.Handler, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if cfg.Logger == nil {
		cfg.Logger = zap.NewNop()
	}
	reqs := prometheus.NewCounterVec(prometheus.CounterOpts(opts("leaf_requests_total",
		"Requests to the Leaf-compatible API by api (segment, snowflake, other) and result.")), []string{"api", "result"})
	if cfg.Registry != nil {
		var err error
		if reqs, err = register(cfg.Registry, reqs); err != nil {
			return nil, fmt.Errorf("sidecar: registering leaf metrics: %w", err)
		}
	}
	return &leafHandler{cfg: cfg, reqs: reqs}, nil
}

// leafHandler serves Leaf's two ID endpoints.
type leafHandler struct {
	cfg  LeafConfig
	reqs *prometheus.CounterVec
}

func (h *leafHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	p := r.URL.Path
	api, rest := "other", ""
	switch {
	case strings.HasPrefix(p, leafSegmentPath):
		api, rest = "segment", p[len(leafSegmentPath):]
	case strings.HasPrefix(p, leafSnowflakePath):
		api, rest = "snowflake", p[len(leafSnowflakePath):]
	}
	if api == "other" || rest == "" || strings.Contains(rest, "/") {
		h.fail(w, api, http.StatusNotFound, resultNotFound,
			fmt.Sprintf("no endpoint %s; try /api/segment/get/<tag> or /api/snowflake/get/<key>", clip(p)))
		return
	}
	if r.Method != http.MethodGet {
		w.Header()["Allow"] = []string{http.MethodGet}
		h.fail(w, api, http.StatusMethodNotAllowed, resultBadMethod,
			fmt.Sprintf("method %s is not allowed; use GET", clip(r.Method)))
		return
	}
	var one [1]int64
	var ids []int64
	var err error
	res := resultOK
	if api == "snowflake" {
		ids, err = h.cfg.Source.AppendIDs(r.Context(), one[:0], 1)
		if err != nil {
			res = resultUnavailable
		}
	} else {
		ids, res, err = h.segmentID(r, rest, one[:0])
	}
	if err == nil && len(ids) != 1 {
		res, err = resultInternal, fmt.Errorf("source issued %d IDs, asked for 1", len(ids))
	}
	if err != nil {
		h.cfg.Logger.Debug("leaf request failed", zap.String("path", clip(p)), zap.Error(err))
		h.fail(w, api, http.StatusInternalServerError, res, err.Error())
		return
	}
	w.Header()["Content-Type"] = hdrText
	w.Write(strconv.AppendInt(make([]byte, 0, 20), ids[0], 10))
	h.reqs.WithLabelValues(api, resultOK.String()).Inc()
}

// segmentID issues one ID of tag, or returns the error and its result.
func (h *leafHandler) segmentID(r *http.Request, tag string, dst []int64) ([]int64, result, error) {
	if err := coord.CheckTag(tag); err != nil {
		return dst, resultBadRequest, err
	}
	if h.cfg.Segments == nil {
		return dst, resultNotFound, fmt.Errorf("%s: no tag %q", noSegments, tag)
	}
	ids, err := h.cfg.Segments.AppendSegmentIDs(r.Context(), tag, dst, 1)
	switch {
	case err == nil:
		return ids, resultOK, nil
	case errors.Is(err, coord.ErrNoSegment):
		return ids, resultNotFound, err
	case errors.Is(err, coord.ErrBadTag):
		return ids, resultBadRequest, err
	}
	return ids, resultUnavailable, err
}

// fail answers code with reason as one line of text, as Leaf answers its
// errors, and counts the request.
func (h *leafHandler) fail(w http.ResponseWriter, api string, code int, res result, reason string) {
	w.Header()["Content-Type"] = hdrText
	w.Header()["X-Content-Type-Options"] = hdrNoSniff
	w.WriteHeader(code)
	w.Write([]byte(oneLine(reason) + "\n"))
	h.reqs.WithLabelValues(api, res.String()).Inc()
}

// oneLine returns s with its control bytes turned into spaces, cut at
// maxReasonBytes.
func oneLine(s string) string {
	b := []byte(s[:min(len(s), maxReasonBytes)])
	for i, c := range b {
		if c < ' ' || c == 0x7f {
			b[i] = ' '
		}
	}
	return string(b)
}
