package sidecar

import (
	"encoding/json"
	"fmt"
	"net/http"

	"github.com/idcoord/idcoord/clockguard"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"go.uber.org/zap"
)

// AdminConfig configures the admin HTTP handler. Zero fields take the
// documented defaults.
type AdminConfig struct {
	// Source backs /readyz. Required.
	Source Source
	// Status returns the JSON-marshalable snapshot for /status. Nil means
	// /status answers 404.
	Status func() any
	// Registry is gathered by /metrics. Nil means prometheus.DefaultGatherer.
	// Pass the *prometheus.Registry given to Config.Registry.
	Registry prometheus.Gatherer
	// Clock is the wall clock /clock reports to peers. Nil means
	// clockguard.System{}.
	Clock clockguard.WallClock
	// Logger receives errors while serving metrics. Nil means no logging.
	Logger *zap.Logger
	// Console serves the web console (package sidecar/console) at "/" and
	// "/console". Nil means "/" answers 404.
	Console http.Handler
}

// Validate reports a missing Source.
func (c AdminConfig) Validate() error {
	if c.Source == nil {
		return fmt.Errorf("%w: admin Source is nil", ErrBadConfig)
	}
	return nil
}

// NewAdmin returns the handler of the admin TCP listener, which the caller
// opens:
//
//	/metrics  Prometheus metrics of cfg.Registry
//	/healthz  200 "ok" while the process runs
//	/readyz   200 {"ready":true} while Source.Ready() is nil, else 503
//	          {"ready":false,"reason":"..."}
//	/clock    {"unix_nano": N}, this node's wall time, for peers' clock checks
//	/status   Status() as JSON
//	/         the web console, when Console is set (also /console)
//
// The handler is safe for concurrent use.
func NewAdmin(cfg AdminConfig) (http.Handler, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if cfg.Registry == nil {
		cfg.Registry = prometheus.DefaultGatherer
	}
	if cfg.Clock == nil {
		cfg.Clock = clockguard.System{}
	}
	if cfg.Logger == nil {
		cfg.Logger = zap.NewNop()
	}
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", promhttp.HandlerFor(cfg.Registry, promhttp.HandlerOpts{
		ErrorLog: zap.NewStdLog(cfg.Logger.Named("metrics")),
	}))
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		w.Header()["Content-Type"] = hdrText
		w.Write([]byte("ok\n"))
	})
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, _ *http.Request) {
		if err := cfg.Source.Ready(); err != nil {
			adminJSON(w, http.StatusServiceUnavailable, struct {
				Ready  bool   `json:"ready"`
				Reason string `json:"reason"`
			}{false, err.Error()})
			return
		}
		adminJSON(w, http.StatusOK, struct {
			Ready bool `json:"ready"`
		}{true})
	})
	mux.HandleFunc("GET /clock", func(w http.ResponseWriter, _ *http.Request) {
		adminJSON(w, http.StatusOK, struct {
			UnixNano int64 `json:"unix_nano"`
		}{cfg.Clock.Now().UnixNano()})
	})
	if cfg.Status != nil {
		mux.HandleFunc("GET /status", func(w http.ResponseWriter, _ *http.Request) {
			adminJSON(w, http.StatusOK, cfg.Status())
		})
	}
	if cfg.Console != nil {
		mux.Handle("GET /{$}", cfg.Console)
		mux.Handle("GET /console", cfg.Console)
	}
	return mux, nil
}

// adminJSON writes v as JSON with code, or a 500 if v does not encode.
func adminJSON(w http.ResponseWriter, code int, v any) {
	body, err := json.Marshal(v)
	if err != nil {
		code = http.StatusInternalServerError
		body, _ = json.Marshal(struct {
			Error  string `json:"error"`
			Reason string `json:"reason"`
		}{"internal", fmt.Sprintf("encoding the answer: %v", err)})
	}
	w.Header()["Content-Type"] = hdrJSON
	w.Header()["Cache-Control"] = []string{"no-store"}
	w.WriteHeader(code)
	w.Write(append(body, '\n'))
}
