package console

import (
	"math"
	"strconv"
	"time"
)

// The charts' drawing area, in SVG user units (the viewBox); the page
// scales it.
const (
	chartW = 300
	chartH = 80
)

// chart is one small SVG line chart, every coordinate computed here: the
// template only places the numbers.
type chart struct {
	Title string
	W, H  int
	// Lines are polyline "points" attributes, one per run of samples
	// without a gap.
	Lines []string
	// Top and Bottom label the value range; Last the newest value.
	Top, Bottom, Last string
	// ZeroY is the y of the zero line, when zero is inside the range
	// and not the bottom edge.
	ZeroY   string
	HasZero bool
	// Limits are the y of limit lines (±clock.max-drift) inside the range.
	Limits []string
	// Span says how far back the chart reaches.
	Span string
	// Empty: no value yet.
	Empty bool
}

// newChart draws pts, from now-window (left) to now (right), between lo
// (bottom) and hi (top), with limit lines at the values of limits that fall
// inside, and labels made by format.
func newChart(title string, pts []point, now time.Time, window time.Duration, lo, hi float64,
	limits []float64, format func(float64) string) chart {
	c := chart{Title: title, W: chartW, H: chartH, Top: format(hi), Bottom: format(lo), Span: "last " + short(window), Empty: true}
	if !(hi > lo) { // also false for NaN
		return c
	}
	x := func(at time.Time) float64 {
		f := 1 - now.Sub(at).Seconds()/window.Seconds()
		return math.Max(0, math.Min(1, f)) * chartW
	}
	y := func(v float64) float64 {
		f := (v - lo) / (hi - lo)
		return chartH - math.Max(0, math.Min(1, f))*chartH
	}
	var run []byte
	n := 0
	flush := func() {
		if n == 1 { // a lone sample: a short flat stroke, so that it shows
			run = append(run, ' ')
			run = append(run, run[:len(run)-1]...)
		}
		if n > 0 {
			c.Lines = append(c.Lines, string(run))
		}
		run, n = run[:0], 0
	}
	for _, p := range pts {
		if p.Gap || math.IsNaN(p.V) || math.IsInf(p.V, 0) {
			flush()
			continue
		}
		if n > 0 {
			run = append(run, ' ')
		}
		run = appendXY(run, x(p.At), y(p.V))
		n++
		c.Last, c.Empty = format(p.V), false
	}
	flush()
	if lo < 0 && 0 < hi {
		c.ZeroY, c.HasZero = num(y(0)), true
	}
	for _, l := range limits {
		if lo < l && l < hi {
			c.Limits = append(c.Limits, num(y(l)))
		}
	}
	return c
}

// appendXY appends "x,y" with one decimal.
func appendXY(b []byte, x, y float64) []byte {
	b = strconv.AppendFloat(b, x, 'f', 1, 64)
	b = append(b, ',')
	return strconv.AppendFloat(b, y, 'f', 1, 64)
}

func num(v float64) string { return strconv.FormatFloat(v, 'f', 1, 64) }

// rateChart is the IDs/s chart: from zero to a little above the largest
// rate (at least 1).
func rateChart(ss []sample, now time.Time, window time.Duration) chart {
	pts := rates(ss)
	hi := 1.0
	for _, p := range pts {
		if !p.Gap {
			hi = math.Max(hi, p.V*1.1)
		}
	}
	return newChart("IDs/s", pts, now, window, 0, hi, nil, perSecond)
}

// offsetChart is this node's mean offset from its peers: symmetric around
// zero, wide enough for every sample, with lines at ±maxDrift when they fit.
func offsetChart(ss []sample, now time.Time, window, maxDrift time.Duration) chart {
	pts := offsets(ss)
	r := 0.001
	for _, p := range pts {
		if !p.Gap {
			r = math.Max(r, math.Abs(p.V)*1.25)
		}
	}
	return newChart("clock offset from the peers", pts, now, window, -r, r,
		[]float64{-maxDrift.Seconds(), maxDrift.Seconds()}, seconds)
}
