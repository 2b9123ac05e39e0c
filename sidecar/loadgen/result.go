package loadgen

import (
	"math"
	"time"
)

// Result is what a run measured, with the JSON names idcoord bench -o json
// prints. Latencies are in milliseconds, to the microsecond.
type Result struct {
	Protocol string `json:"protocol"`
	// Tag is the segment tag asked for, or empty for Snowflake IDs.
	Tag        string           `json:"tag,omitempty"`
	Conns      int              `json:"conns"`
	Batch      int              `json:"batch"`
	Seconds    float64          `json:"duration_seconds"`
	Requests   int64            `json:"requests"`
	IDs        int64            `json:"ids"`
	ReqPerSec  float64          `json:"requests_per_second"`
	IDsPerSec  float64          `json:"ids_per_second"`
	LayoutCap  float64          `json:"layout_cap_ids_per_second"`
	P50        float64          `json:"p50_ms"`
	P99        float64          `json:"p99_ms"`
	P999       float64          `json:"p999_ms"`
	Max        float64          `json:"max_ms"`
	Mean       float64          `json:"mean_ms"`
	Errors     int64            `json:"errors"`
	ErrorKinds map[string]int64 `json:"errors_by_kind"`
	// FirstErrors holds the first error message of each kind that occurred.
	FirstErrors map[string]string `json:"first_errors,omitempty"`
	Violations  int64             `json:"increase_violations"`
}

// newResult merges the workers' measurements over elapsed.
func newResult(g *Generator, elapsed time.Duration) Result {
	var h latencyHist
	r := Result{
		Protocol:   g.cfg.Protocol,
		Tag:        g.cfg.Tag,
		Conns:      len(g.workers),
		Batch:      g.batch,
		Seconds:    round(elapsed.Seconds(), 3),
		LayoutCap:  g.cfg.LayoutCap,
		ErrorKinds: make(map[string]int64, numErrKinds),
	}
	for k := range numErrKinds {
		r.ErrorKinds[errKindNames[k]] = 0
	}
	for _, w := range g.workers {
		h.merge(&w.hist)
		r.Requests += w.ok.Load()
		r.Violations += w.violations
		for k, n := range w.kinds {
			if n == 0 {
				continue
			}
			name := errKindNames[k]
			r.ErrorKinds[name] += n
			r.Errors += n
			if _, seen := r.FirstErrors[name]; !seen {
				if r.FirstErrors == nil {
					r.FirstErrors = map[string]string{}
				}
				r.FirstErrors[name] = w.firstErr[k]
			}
		}
	}
	r.IDs = r.Requests * int64(g.batch)
	if s := elapsed.Seconds(); s > 0 {
		r.ReqPerSec = round(float64(r.Requests)/s, 1)
		r.IDsPerSec = round(float64(r.IDs)/s, 1)
	}
	r.P50 = millis(h.quantile(0.50))
	r.P99 = millis(h.quantile(0.99))
	r.P999 = millis(h.quantile(0.999))
	r.Max = millis(time.Duration(h.max))
	r.Mean = millis(h.mean())
	return r
}

// millis returns d in milliseconds, to the microsecond.
func millis(d time.Duration) float64 { return round(float64(d)/float64(time.Millisecond), 3) }

// round rounds x to places decimals.
func round(x float64, places int) float64 {
	p := math.Pow10(places)
	return math.Round(x*p) / p
}
