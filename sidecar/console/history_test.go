package console

import (
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestHistoryBounded(t *testing.T) {
	h := newHistory(4)
	if got := h.samples(); len(got) != 0 {
		t.Fatalf("an empty history holds %d samples", len(got))
	}
	for i := range 11 {
		h.add(sample{At: t0.Add(time.Duration(i) * time.Second), Count: float64(i), HasCount: true})
	}
	got := h.samples()
	if len(got) != 4 {
		t.Fatalf("%d samples held, want 4", len(got))
	}
	for i, s := range got {
		if want := float64(7 + i); s.Count != want {
			t.Fatalf("sample %d has count %v, want %v (the newest, oldest first)", i, s.Count, want)
		}
	}
}

func TestRates(t *testing.T) {
	at := func(s int) time.Time { return t0.Add(time.Duration(s) * time.Second) }
	ss := []sample{
		{At: at(0), Count: 100, HasCount: true},
		{At: at(5), Count: 600, HasCount: true}, // 100/s
		{At: at(10), Count: 50, HasCount: true}, // went down: a restart
		{At: at(15), HasCount: false},           // no count
		{At: at(20), Count: 60, HasCount: true}, // after a gap
		{At: at(25), Count: 85, HasCount: true}, // 5/s
	}
	got := rates(ss)
	want := []point{{At: at(5), V: 100}, {At: at(10), Gap: true}, {At: at(15), Gap: true}, {At: at(20), Gap: true}, {At: at(25), V: 5}}
	if len(got) != len(want) {
		t.Fatalf("rates = %+v", got)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("rate %d = %+v, want %+v", i, got[i], want[i])
		}
	}
}

func TestChart(t *testing.T) {
	window := 10 * time.Minute
	now := t0.Add(window)
	pts := []point{
		{At: t0, V: 0},
		{At: t0.Add(window / 2), V: 50},
		{At: t0.Add(window/2 + time.Second), Gap: true},
		{At: now, V: 100},
	}
	c := newChart("IDs/s", pts, now, window, 0, 100, []float64{50, 200}, perSecond)
	if len(c.Lines) != 2 {
		t.Fatalf("lines %q, want 2 (a gap breaks the line)", c.Lines)
	}
	if c.Lines[0] != "0.0,80.0 150.0,40.0" {
		t.Errorf("first line %q", c.Lines[0])
	}
	if c.Lines[1] != "300.0,0.0 300.0,0.0" {
		t.Errorf("a lone sample %q, want a point drawn twice", c.Lines[1])
	}
	if len(c.Limits) != 1 || c.Limits[0] != "40.0" {
		t.Errorf("limits %q, want the one inside the range", c.Limits)
	}
	if c.Last != "100/s" || c.Top != "100/s" || c.Bottom != "0.0/s" || c.Span != "last 10m" {
		t.Errorf("labels %q %q %q %q", c.Last, c.Top, c.Bottom, c.Span)
	}
	// Every coordinate stays inside the drawing, whatever the values.
	wild := newChart("x", []point{{At: t0.Add(-time.Hour), V: -1e9}, {At: now.Add(time.Hour), V: 1e9}}, now, window, 0, 1, nil, perSecond)
	for _, xy := range strings.Fields(wild.Lines[0]) {
		x, y, _ := strings.Cut(xy, ",")
		fx, _ := strconv.ParseFloat(x, 64)
		fy, _ := strconv.ParseFloat(y, 64)
		if fx < 0 || fx > chartW || fy < 0 || fy > chartH {
			t.Errorf("point %s is outside the %dx%d drawing", xy, chartW, chartH)
		}
	}
	if e := newChart("x", nil, now, window, 0, 1, nil, perSecond); !e.Empty || len(e.Lines) != 0 {
		t.Errorf("a chart without points: %+v", e)
	}
}

func TestOffsetChartShowsDriftLines(t *testing.T) {
	ss := []sample{{At: t0, Offset: 0.9, HasOffset: true}, {At: t0.Add(time.Second), Offset: -0.2, HasOffset: true}}
	c := offsetChart(ss, t0.Add(time.Second), time.Minute, time.Second)
	if len(c.Limits) != 2 || !c.HasZero || c.Last != "-200.0 ms" {
		t.Fatalf("offset chart: limits %q, zero %v, last %q", c.Limits, c.HasZero, c.Last)
	}
}

func TestFormat(t *testing.T) {
	tests := []struct{ got, want string }{
		{seconds(0), "0 s"}, {seconds(0.00012), "120 µs"}, {seconds(-0.0034), "-3.4 ms"}, {seconds(2.5), "2.50 s"},
		{seconds(600), "10m"}, {short(150 * time.Second), "2m30s"}, {short(3 * time.Hour), "3h0m"}, {short(20 * time.Second), "20s"}, {short(1500 * time.Millisecond), "1.50 s"},
		{count(0), "0"}, {count(999), "999"}, {count(1000), "1 000"}, {count(-1234567), "-1 234 567"},
		{perSecond(12.34), "12.3/s"}, {perSecond(3400), "3400/s"},
	}
	for _, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("got %q, want %q", tt.got, tt.want)
		}
	}
}
