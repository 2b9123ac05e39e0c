package console

import (
	"math"
	"strconv"
	"time"
)

// seconds formats a signed number of seconds at a scale a person reads:
// "1.25 s", "-3.4 ms", "120 µs".
func seconds(s float64) string {
	a := math.Abs(s)
	switch {
	case math.IsNaN(s) || math.IsInf(s, 0):
		return "?"
	case a == 0:
		return "0 s"
	case a < 1e-3:
		return strconv.FormatFloat(s*1e6, 'f', 0, 64) + " µs"
	case a < 1:
		return strconv.FormatFloat(s*1e3, 'f', 1, 64) + " ms"
	case a < 120:
		return strconv.FormatFloat(s, 'f', 2, 64) + " s"
	}
	return short(time.Duration(s * float64(time.Second)))
}

// short formats a duration rounded for display: "2m30s", "10m", "3h0m".
func short(d time.Duration) string {
	switch {
	case d >= time.Hour || d <= -time.Hour:
		d = d.Round(time.Minute)
	case d >= time.Minute || d <= -time.Minute:
		d = d.Round(time.Second)
	case d%time.Second == 0 && d != 0:
		return d.String() // "20s"
	default:
		return seconds(d.Seconds())
	}
	s := d.String()
	if len(s) > 3 && s[len(s)-3:] == "m0s" {
		s = s[:len(s)-2]
	}
	return s
}

// perSecond formats a rate: "0/s", "12.5/s", "3400/s".
func perSecond(v float64) string {
	if v >= 100 {
		return strconv.FormatFloat(v, 'f', 0, 64) + "/s"
	}
	return strconv.FormatFloat(v, 'f', 1, 64) + "/s"
}

// when formats a wall time in UTC to the millisecond.
func when(t time.Time) string {
	if t.IsZero() {
		return "none"
	}
	return t.UTC().Format("2006-01-02 15:04:05.000Z")
}

// count formats an integer with thin groups: 1234567 → "1 234 567".
func count(n int64) string {
	s := strconv.FormatInt(n, 10)
	neg := n < 0
	if neg {
		s = s[1:]
	}
	out := make([]byte, 0, len(s)+len(s)/3+1)
	if neg {
		out = append(out, '-')
	}
	for i := range len(s) {
		if i > 0 && (len(s)-i)%3 == 0 {
			out = append(out, ' ')
		}
		out = append(out, s[i])
	}
	return string(out)
}
