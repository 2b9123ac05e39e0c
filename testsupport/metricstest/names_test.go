package metricstest

import (
	"errors"
	"slices"
	"testing"
)

func TestMetricNames(t *testing.T) {
	for _, tc := range []struct {
		name, expr string
		want       []string
	}{
		{"bare", "idcoord_ready", []string{"idcoord_ready"}},
		{"comparison", "idcoord_ready == 0", []string{"idcoord_ready"}},
		{"matchers", `idcoord_not_ready{reason="clock_drift", instance=~"$instance"} == 1`, []string{"idcoord_not_ready"}},
		{"matcher with a brace in its value", `a{x="}", y='{'} + b`, []string{"a", "b"}},
		{"function and range", "rate(idcoord_sidecar_ids_issued_total[5m])", []string{"idcoord_sidecar_ids_issued_total"}},
		{"aggregation by", "sum by (instance, op) (rate(idcoord_store_errors_total[$__rate_interval]))", []string{"idcoord_store_errors_total"}},
		{"aggregation without after", "sum(rate(x_total[1m])) without (le, tag)", []string{"x_total"}},
		{"upper-case keywords", "SUM BY (job) (a) AND ON (job) b", []string{"a", "b"}},
		{"histogram", `histogram_quantile(0.99, sum by (le) (rate(h_bucket{tag="orders"}[5m])))`, []string{"h_bucket"}},
		{"vector matching", "a / on (job) group_left (tag) b", []string{"a", "b"}},
		{"ignoring group_right", "a * ignoring (x) group_right c", []string{"a", "c"}},
		{"and with a filter", "idcoord_lease_seconds_left < 3 and idcoord_worker_id >= 0", []string{"idcoord_lease_seconds_left", "idcoord_worker_id"}},
		{"numbers", "x > 365 * 86400 + 1.5e3 - 0x1f + .5", []string{"x"}},
		{"offset and at", "x offset 5m + y @ 1609746000 + z @ start()", []string{"x", "y", "z"}},
		{"subquery", "max_over_time(rate(x[1m])[10m:1m])", []string{"x"}},
		{"colons in recording-rule names", "job:idcoord_ids:rate5m", []string{"job:idcoord_ids:rate5m"}},
		{"grafana variables", "x{instance=~\"$instance\"}[$__rate_interval] * ${factor} + [[old]]", []string{"x"}},
		{"each name once, sorted", "b + a + b", []string{"a", "b"}},
		{"topk with a parameter", "topk(3, x)", []string{"x"}},
		{"bool", "x > bool 1", []string{"x"}},
		{"function name space paren", "abs (x)", []string{"x"}},
		{"comment", "x # not_a_metric\n+ y", []string{"x", "y"}},
		{"nothing", "", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := MetricNames(tc.expr)
			if err != nil {
				t.Fatalf("MetricNames(%q): %v", tc.expr, err)
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("MetricNames(%q) = %q, want %q", tc.expr, got, tc.want)
			}
		})
	}
}

func TestMetricNamesRefusesWhatItCannotRead(t *testing.T) {
	for _, expr := range []string{
		`x{job="a"`,       // matcher not closed
		`x{job="a}`,       // string not closed
		"rate(x[5m)",      // range not closed
		"sum(rate(x[5m])", // parenthesis not closed
		"x)",              // closes nothing
		"sum by job (x)",  // by without a list
		"x ; y",           // not PromQL
		"x + $",           // a variable with no name
	} {
		t.Run(expr, func(t *testing.T) {
			got, err := MetricNames(expr)
			if !errors.Is(err, ErrBadExpr) {
				t.Fatalf("MetricNames(%q) = %q, %v; want ErrBadExpr", expr, got, err)
			}
		})
	}
}

func TestSeriesNames(t *testing.T) {
	text := `# HELP h Latency.
# TYPE h histogram
h_bucket{le="0.1"} 1
h_sum 0.05
h_count 1
g 2
c_total{op="peers"} 0

`
	got := seriesNames(text)
	for _, want := range []string{"h_bucket", "h_sum", "h_count", "g", "c_total"} {
		if !got[want] {
			t.Errorf("series %s missing from %v", want, got)
		}
	}
	if got["h"] || got["#"] || len(got) != 5 {
		t.Errorf("seriesNames = %v, want exactly the five series", got)
	}
	if fams := familyNames(text); len(fams) != 1 || !fams["h"] {
		t.Errorf("familyNames = %v, want h alone (the only # TYPE line)", fams)
	}
}

// FuzzMetricNames checks that any input gets names or ErrBadExpr, never a
// panic, and that every name returned is a metric name.
func FuzzMetricNames(f *testing.F) {
	for _, s := range []string{"idcoord_ready == 0", `sum by (le) (rate(h_bucket{tag="a"}[5m]))`, "x{", "$", "${a}", "'\\", "1e+", "[[x]]"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, expr string) {
		names, err := MetricNames(expr)
		if err != nil {
			if !errors.Is(err, ErrBadExpr) {
				t.Fatalf("MetricNames(%q): %v, not ErrBadExpr", expr, err)
			}
			return
		}
		for _, n := range names {
			if n == "" || !isNameStart(n[0]) {
				t.Fatalf("MetricNames(%q) returned %q, not a metric name", expr, n)
			}
			for i := range len(n) {
				if !isNameChar(n[i]) {
					t.Fatalf("MetricNames(%q) returned %q, not a metric name", expr, n)
				}
			}
		}
	})
}
