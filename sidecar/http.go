package sidecar

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Header values shared by every response; net/http only reads them.
var (
	hdrText    = []string{"text/plain; charset=utf-8"}
	hdrJSON    = []string{"application/json"}
	hdrNoSniff = []string{"nosniff"}
	hdrAllow   = []string{"GET, HEAD"}
)

// httpHandler serves the socket's HTTP endpoints: /id, /ids,
// /segment/<tag>, /decode/<id> and /status.
type httpHandler struct{ s *Server }

func (h *httpHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	h.route(w, r)
	h.s.metrics.observe(protoHTTP, start)
}

// route answers one request on the socket's HTTP endpoints.
func (h *httpHandler) route(w http.ResponseWriter, r *http.Request) {
	s := h.s
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header()["Allow"] = hdrAllow
		s.httpError(w, http.StatusMethodNotAllowed, resultBadMethod,
			fmt.Sprintf("method %s is not allowed; use GET", clip(r.Method)))
		return
	}
	switch p := r.URL.Path; {
	case p == "/id":
		s.serveIDs(w, r, false, "", 1, false)
	case p == "/ids":
		n, res, reason := countParam(r.URL.RawQuery, s.cfg.MaxBatch)
		if res != resultOK {
			s.httpError(w, http.StatusBadRequest, res, reason)
			return
		}
		s.serveIDs(w, r, false, "", n, wantsJSON(r))
	case strings.HasPrefix(p, "/segment/"):
		// The tag is the rest of the decoded path; an escaped or extra '/'
		// makes it one that CheckTag refuses.
		n, res, reason := countParam(r.URL.RawQuery, s.cfg.MaxBatch)
		if res != resultOK {
			s.httpFail(w, true, res, reason)
			return
		}
		s.serveIDs(w, r, true, p[len("/segment/"):], n, wantsJSON(r))
	case strings.HasPrefix(p, "/decode/"):
		s.serveDecode(w, p[len("/decode/"):])
	case p == "/status":
		s.serveStatus(w)
	default:
		s.httpError(w, http.StatusNotFound, resultNotFound,
			fmt.Sprintf("no endpoint %s; try /id, /ids?count=N, /segment/<tag>?count=N, /decode/<id> or /status", clip(p)))
	}
}

// countParam reads the count parameter of /ids; a missing one means 1.
func countParam(rawQuery string, maxBatch int) (int, result, string) {
	q, err := url.ParseQuery(rawQuery)
	if err != nil {
		return 0, resultBadRequest, fmt.Sprintf("bad query string: %v", err)
	}
	switch v := q["count"]; len(v) {
	case 0:
		return 1, resultOK, ""
	case 1:
		return parseCount(v[0], maxBatch)
	default:
		return 0, resultBadRequest, fmt.Sprintf("count given %d times; give it once", len(v))
	}
}

// wantsJSON reports whether the client asked for JSON.
func wantsJSON(r *http.Request) bool {
	return strings.Contains(r.Header.Get("Accept"), "application/json")
}

// httpBuf holds a request's IDs and answer text; pooled, so /id allocates
// little beyond what net/http does.
type httpBuf struct {
	ids []int64
	out []byte
}

var httpBufs = sync.Pool{New: func() any { return new(httpBuf) }}

// serveIDs issues n IDs, Snowflake IDs or, if seg, IDs of tag, and writes
// them one per line, or as JSON strings.
func (s *Server) serveIDs(w http.ResponseWriter, r *http.Request, seg bool, tag string, n int, asJSON bool) {
	buf := httpBufs.Get().(*httpBuf)
	defer func() {
		if cap(buf.ids) <= keepIDs {
			httpBufs.Put(buf)
		}
	}()
	ids, res, reason := s.issue(r.Context(), seg, tag, idBuf(buf.ids, n), n)
	buf.ids = ids[:0]
	if res != resultOK {
		s.httpFail(w, seg, res, reason)
		return
	}
	out := buf.out[:0]
	if need := n*(maxIDText+2) + 16; cap(out) < need {
		out = make([]byte, 0, need)
	}
	h := w.Header()
	if asJSON {
		h["Content-Type"] = hdrJSON
		out = append(out, `{"ids":[`...)
		for i, id := range ids {
			if i > 0 {
				out = append(out, ',')
			}
			out = append(out, '"')
			out = strconv.AppendInt(out, id, 10)
			out = append(out, '"')
		}
		out = append(out, "]}\n"...)
	} else {
		h["Content-Type"] = hdrText
		for _, id := range ids {
			out = strconv.AppendInt(out, id, 10)
			out = append(out, '\n')
		}
	}
	buf.out = out[:0]
	h["X-Content-Type-Options"] = hdrNoSniff
	if len(out) > 2048 { // net/http sets Content-Length itself for short bodies
		h["Content-Length"] = []string{strconv.Itoa(len(out))}
	}
	w.Write(out)
	s.metrics.countAs(seg, protoHTTP, resultOK, n)
}

// httpStatus is the HTTP status of a failed request's result.
var httpStatus = [numResults]int{
	resultUnavailable: http.StatusServiceUnavailable,
	resultBadRequest:  http.StatusBadRequest,
	resultTooMany:     http.StatusBadRequest,
	resultNotFound:    http.StatusNotFound,
	resultBadMethod:   http.StatusMethodNotAllowed,
	resultInternal:    http.StatusInternalServerError,
}

// httpFail answers a failed ID request with the status of res, and counts
// it as a segment request if seg.
func (s *Server) httpFail(w http.ResponseWriter, seg bool, res result, reason string) {
	s.writeError(w, httpStatus[res], res, reason)
	s.metrics.countAs(seg, protoHTTP, res, 0)
}

// decoded is the JSON answer of /decode/<id>. DatacenterID is set whenever
// the layout has a datacenter field, datacenter 0 included, and left out
// when it has none.
type decoded struct {
	ID           string `json:"id"`
	Time         string `json:"time"`
	Tick         int64  `json:"tick"`
	DatacenterID *int64 `json:"datacenter_id,omitempty"`
	WorkerID     int64  `json:"worker_id"`
	Sequence     int64  `json:"sequence"`
}

// timeFormat is RFC 3339 with milliseconds.
const timeFormat = "2006-01-02T15:04:05.000Z07:00"

func (s *Server) serveDecode(w http.ResponseWriter, text string) {
	id, ok := parseID(text)
	if !ok {
		s.httpError(w, http.StatusBadRequest, resultBadRequest,
			fmt.Sprintf("id must be a decimal number from 0 to 9223372036854775807, got %q", clip(text)))
		return
	}
	l := s.src.Layout()
	p, err := l.Decompose(id)
	if err != nil {
		s.httpError(w, http.StatusBadRequest, resultBadRequest, err.Error())
		return
	}
	d := decoded{
		ID:       strconv.FormatInt(id, 10),
		Time:     p.Time.UTC().Format(timeFormat),
		Tick:     p.Tick,
		WorkerID: p.WorkerID,
		Sequence: p.Sequence,
	}
	if l.HasDatacenter() {
		d.DatacenterID = &p.DatacenterID
	}
	s.writeJSON(w, http.StatusOK, d)
}

// parseID parses a decimal, non-negative int64 with no sign or spaces.
func parseID(s string) (int64, bool) {
	if s == "" || len(s) > 19 || !isDigits(s) {
		return 0, false
	}
	id, err := strconv.ParseInt(s, 10, 64)
	return id, err == nil
}

func (s *Server) serveStatus(w http.ResponseWriter) {
	if s.cfg.Status == nil {
		s.httpError(w, http.StatusNotFound, resultNotFound, "this server has no status")
		return
	}
	s.writeJSON(w, http.StatusOK, s.cfg.Status())
}

// writeJSON writes v as a JSON answer and counts the request.
func (s *Server) writeJSON(w http.ResponseWriter, code int, v any) {
	body, err := json.Marshal(v)
	if err != nil {
		s.httpError(w, http.StatusInternalServerError, resultInternal, fmt.Sprintf("encoding the answer: %v", err))
		return
	}
	s.answer(w, code, body, resultOK)
}

// httpError writes {"error": "<result>", "reason": "..."} with code, and
// counts the request.
func (s *Server) httpError(w http.ResponseWriter, code int, res result, reason string) {
	s.writeError(w, code, res, reason)
	s.metrics.count(protoHTTP, res, 0)
}

// writeError writes {"error": "<result>", "reason": "..."} with code.
func (s *Server) writeError(w http.ResponseWriter, code int, res result, reason string) {
	body, _ := json.Marshal(struct {
		Error  string `json:"error"`
		Reason string `json:"reason"`
	}{res.String(), reason})
	s.writeBody(w, code, body)
}

// answer writes body, a JSON document, with code and a newline, and counts
// the request as res.
func (s *Server) answer(w http.ResponseWriter, code int, body []byte, res result) {
	s.writeBody(w, code, body)
	s.metrics.count(protoHTTP, res, 0)
}

// writeBody writes body, a JSON document, with code and a newline.
func (s *Server) writeBody(w http.ResponseWriter, code int, body []byte) {
	h := w.Header()
	h["Content-Type"] = hdrJSON
	h["X-Content-Type-Options"] = hdrNoSniff
	w.WriteHeader(code)
	w.Write(append(body, '\n'))
}
