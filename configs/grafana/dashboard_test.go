package grafana_test

import (
	"encoding/json"
	"fmt"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/idcoord/idcoord/testsupport/metricstest"
)

// dashboard is the part of a Grafana dashboard the tests read.
type dashboard struct {
	UID           string  `json:"uid"`
	Title         string  `json:"title"`
	SchemaVersion int     `json:"schemaVersion"`
	Panels        []panel `json:"panels"`
	Templating    struct {
		List []variable `json:"list"`
	} `json:"templating"`
}

type panel struct {
	ID         int                      `json:"id"`
	Type       string                   `json:"type"`
	Title      string                   `json:"title"`
	Datasource *datasource              `json:"datasource"`
	Targets    []target                 `json:"targets"`
	Panels     []panel                  `json:"panels"` // a collapsed row's
	GridPos    struct{ X, Y, W, H int } `json:"gridPos"`
}

type target struct {
	Expr       string      `json:"expr"`
	RefID      string      `json:"refId"`
	Datasource *datasource `json:"datasource"`
}

type datasource struct {
	Type string `json:"type"`
	UID  string `json:"uid"`
}

type variable struct {
	Name  string          `json:"name"`
	Type  string          `json:"type"`
	Query json.RawMessage `json:"query"`
}

// query is a query variable's PromQL: Grafana stores it as a string or
// as {"query": "..."}.
func (v variable) query() string {
	var s string
	if json.Unmarshal(v.Query, &s) == nil {
		return s
	}
	var q struct {
		Query string `json:"query"`
	}
	json.Unmarshal(v.Query, &q) //nolint:errcheck // an unreadable query is "" and fails the checks
	return q.Query
}

func load(t *testing.T) dashboard {
	t.Helper()
	data, err := os.ReadFile("idcoord.json")
	if err != nil {
		t.Fatal(err)
	}
	var d dashboard
	if err := json.Unmarshal(data, &d); err != nil {
		t.Fatalf("idcoord.json: %v", err)
	}
	return d
}

// queryPanels returns every panel that is not a row, collapsed rows'
// panels included.
func (d dashboard) queryPanels() []panel {
	var out []panel
	var walk func([]panel)
	walk = func(ps []panel) {
		for _, p := range ps {
			if p.Type == "row" {
				walk(p.Panels)
				continue
			}
			out = append(out, p)
		}
	}
	walk(d.Panels)
	return out
}

// exprs returns every PromQL expression of the dashboard, named by where
// it is: the panels' targets and the query variables (label_values(expr,
// label) reads expr).
func (d dashboard) exprs(t *testing.T) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, p := range d.queryPanels() {
		for _, tg := range p.Targets {
			out[fmt.Sprintf("panel %q target %s", p.Title, tg.RefID)] = tg.Expr
		}
	}
	labelValues := regexp.MustCompile(`^label_values\((.*),\s*[a-zA-Z_][a-zA-Z0-9_]*\)$`)
	for _, v := range d.Templating.List {
		if v.Type != "query" {
			continue
		}
		q := v.query()
		m := labelValues.FindStringSubmatch(q)
		if m == nil {
			t.Fatalf("variable %s: query %q is not label_values(expr, label)", v.Name, q)
		}
		out["variable "+v.Name] = m[1]
	}
	return out
}

// TestDashboardShape checks what makes the dashboard importable and
// usable on any Prometheus: a data source variable that every panel and
// target uses, job and instance variables that every panel query filters
// by, unique panel IDs, and panels that do not overlap.
func TestDashboardShape(t *testing.T) {
	d := load(t)
	if d.UID == "" || d.Title == "" {
		t.Errorf("uid %q, title %q: both must be set", d.UID, d.Title)
	}
	if d.SchemaVersion < 36 {
		t.Errorf("schemaVersion %d: want 36 or later (data source references by uid)", d.SchemaVersion)
	}
	vars := map[string]variable{}
	for _, v := range d.Templating.List {
		vars[v.Name] = v
	}
	if v, ok := vars["datasource"]; !ok || v.Type != "datasource" || string(v.Query) != `"prometheus"` {
		t.Errorf("want a datasource variable of Prometheus data sources named datasource, have %+v", v)
	}
	for _, name := range []string{"job", "instance"} {
		if v, ok := vars[name]; !ok || v.Type != "query" {
			t.Errorf("want a query variable %s, have %+v", name, v)
		}
	}
	ids := map[int]string{}
	for _, p := range d.Panels {
		if other, dup := ids[p.ID]; dup {
			t.Errorf("panels %q and %q share id %d", other, p.Title, p.ID)
		}
		ids[p.ID] = p.Title
	}
	panels := d.queryPanels()
	if len(panels) == 0 {
		t.Fatal("no panels")
	}
	for _, p := range panels {
		if p.Datasource == nil || p.Datasource.UID != "${datasource}" {
			t.Errorf("panel %q: data source %+v, want uid ${datasource}", p.Title, p.Datasource)
		}
		if len(p.Targets) == 0 {
			t.Errorf("panel %q has no query", p.Title)
		}
		for _, tg := range p.Targets {
			if tg.Datasource == nil || tg.Datasource.UID != "${datasource}" {
				t.Errorf("panel %q target %s: data source %+v, want uid ${datasource}", p.Title, tg.RefID, tg.Datasource)
			}
			if !strings.Contains(tg.Expr, `job=~"$job"`) || !strings.Contains(tg.Expr, `instance=~"$instance"`) {
				t.Errorf("panel %q target %s: %q does not filter by $job and $instance", p.Title, tg.RefID, tg.Expr)
			}
		}
		if p.GridPos.W <= 0 || p.GridPos.H <= 0 || p.GridPos.X+p.GridPos.W > 24 {
			t.Errorf("panel %q: gridPos %+v does not fit the 24-column grid", p.Title, p.GridPos)
		}
	}
	for i, a := range panels {
		for _, b := range panels[i+1:] {
			ga, gb := a.GridPos, b.GridPos
			if ga.X < gb.X+gb.W && gb.X < ga.X+ga.W && ga.Y < gb.Y+gb.H && gb.Y < ga.Y+ga.H {
				t.Errorf("panels %q %+v and %q %+v overlap", a.Title, ga, b.Title, gb)
			}
		}
	}
}

// watched are the metrics the dashboard must show, one per thing an
// operator watches: IDs/s, readiness, fence time left, W lead, clock
// offsets, WorkerId occupancy, socket latency and errors, segment fetches
// and buffer exhaustion, the layout's lifetime and store errors.
var watched = []string{
	"idcoord_sidecar_ids_issued_total",
	"idcoord_ready",
	"idcoord_not_ready",
	"idcoord_lease_seconds_left",
	"idcoord_high_water_ahead_seconds",
	"idcoord_peer_clock_offset_seconds",
	"idcoord_peer_clock_median_offset_seconds",
	"idcoord_cluster_worker_ids_held",
	"idcoord_cluster_worker_ids_capacity",
	"idcoord_sidecar_request_duration_seconds_bucket",
	"idcoord_sidecar_requests_total",
	"idcoord_segment_fetches_total",
	"idcoord_segment_exhausted_total",
	"idcoord_layout_seconds_left",
	"idcoord_store_errors_total",
}

// TestDashboardShowsWhatIsWatched checks that some panel reads each
// watched metric.
func TestDashboardShowsWhatIsWatched(t *testing.T) {
	d := load(t)
	shown := map[string]bool{}
	for where, expr := range d.exprs(t) {
		names, err := metricstest.MetricNames(expr)
		if err != nil {
			t.Fatalf("%s: %v", where, err)
		}
		for _, n := range names {
			shown[n] = true
		}
	}
	for _, m := range watched {
		if !shown[m] {
			t.Errorf("no panel reads %s", m)
		}
	}
}

// TestDashboardMetricsExported checks every metric name of every query of
// the dashboard against the /metrics of live nodes.
func TestDashboardMetricsExported(t *testing.T) {
	d := load(t)
	exprs := d.exprs(t)
	live := metricstest.Live(t)
	wheres := make([]string, 0, len(exprs))
	for where := range exprs {
		wheres = append(wheres, where)
	}
	slices.Sort(wheres)
	checked := 0
	for _, where := range wheres {
		names, err := metricstest.MetricNames(exprs[where])
		if err != nil {
			t.Errorf("%s: %v", where, err)
			continue
		}
		if len(names) == 0 {
			t.Errorf("%s: %q reads no metric", where, exprs[where])
		}
		for _, n := range names {
			checked++
			if !live.Names[n] {
				t.Errorf("%s reads %s, which live nodes do not export", where, n)
			}
		}
	}
	if t.Failed() {
		t.Logf("what the nodes exported:\n%s", live.Text)
	}
	t.Logf("%d metric references in %d queries, all exported", checked, len(exprs))
}
