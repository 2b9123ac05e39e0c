package main

import (
	"fmt"
	"io"
	"math"
	"strconv"
	"time"
)

// benchResult is what bench reports, as the table and as -o json.
// Latencies are in milliseconds, to the microsecond.
type benchResult struct {
	Protocol   string           `json:"protocol"`
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

// newBenchResult merges the workers' measurements over elapsed.
// layoutCap is the configured layout's IDs per second per worker.
func newBenchResult(l *benchLoad, protocol string, elapsed time.Duration, layoutCap float64) benchResult {
	var h latencyHist
	r := benchResult{
		Protocol:   protocol,
		Conns:      len(l.workers),
		Batch:      l.batch,
		Seconds:    round(elapsed.Seconds(), 3),
		LayoutCap:  layoutCap,
		ErrorKinds: make(map[string]int64, numErrKinds),
	}
	for k := range numErrKinds {
		r.ErrorKinds[errKindNames[k]] = 0
	}
	for _, w := range l.workers {
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
	r.IDs = r.Requests * int64(l.batch)
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

// writeTable writes the result as aligned name/value rows.
func (r benchResult) writeTable(w io.Writer) error {
	ms := func(v float64) string { return strconv.FormatFloat(v, 'f', 3, 64) + " ms" }
	ids := fmt.Sprintf("%.0f", r.IDsPerSec)
	if r.LayoutCap > 0 {
		ids += fmt.Sprintf("  (%.1f%% of the configured layout's cap, %.0f per worker)", 100*r.IDsPerSec/r.LayoutCap, r.LayoutCap)
	}
	rows := [][]string{
		{"protocol", r.Protocol},
		{"connections", strconv.Itoa(r.Conns)},
		{"batch", strconv.Itoa(r.Batch)},
		{"duration", strconv.FormatFloat(r.Seconds, 'f', 2, 64) + " s"},
		{"requests", strconv.FormatInt(r.Requests, 10)},
		{"requests/s", fmt.Sprintf("%.0f", r.ReqPerSec)},
		{"IDs/s", ids},
		{"latency p50", ms(r.P50)},
		{"latency p99", ms(r.P99)},
		{"latency p999", ms(r.P999)},
		{"latency max", ms(r.Max)},
		{"errors", strconv.FormatInt(r.Errors, 10)},
	}
	for _, name := range errKindNames {
		if n := r.ErrorKinds[name]; n > 0 {
			rows = append(rows, []string{"  " + name, fmt.Sprintf("%d  (first: %s)", n, oneLine(r.FirstErrors[name]))})
		}
	}
	rows = append(rows, []string{"increase violations", strconv.FormatInt(r.Violations, 10)})
	return table(w, rows)
}
