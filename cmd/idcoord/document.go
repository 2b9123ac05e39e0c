package main

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"time"

	"gopkg.in/yaml.v3"
)

// writeDocument writes v as one indented JSON document or one YAML
// document, for -o json and -o yaml. v's fields carry the same snake_case
// name in both tags.
func writeDocument(w io.Writer, format string, v any) error {
	switch format {
	case "json":
		enc := json.NewEncoder(w)
		enc.SetEscapeHTML(false)
		enc.SetIndent("", "  ")
		return enc.Encode(v)
	case "yaml":
		enc := yaml.NewEncoder(w)
		enc.SetIndent(2)
		if err := enc.Encode(v); err != nil {
			return err
		}
		return enc.Close()
	}
	return fmt.Errorf("%w -o %q", errBadOutput, format)
}

// seconds is d in seconds, rounded to the microsecond, for JSON and YAML.
func seconds(d time.Duration) float64 {
	return math.Round(d.Seconds()*1e6) / 1e6
}

// secondsPtr is seconds(d) as a pointer, for fields that may be null.
func secondsPtr(d time.Duration) *float64 {
	s := seconds(d)
	return &s
}

// humanDuration prints d for a table: 3 significant figures or so below a
// minute ("850ms", "2.85s", "42s"), whole seconds below an hour ("3m4s"),
// minutes above ("26h3m").
func humanDuration(d time.Duration) string {
	a := d.Abs()
	switch {
	case a < time.Millisecond:
		return d.Round(time.Microsecond).String()
	case a < time.Second:
		return d.Round(time.Millisecond).String()
	case a < 10*time.Second:
		return d.Round(10 * time.Millisecond).String()
	case a < time.Hour:
		return d.Round(time.Second).String()
	default:
		return d.Round(time.Minute).String()
	}
}

// signedDuration is humanDuration with a leading "+" for positive values.
func signedDuration(d time.Duration) string {
	if d > 0 {
		return "+" + humanDuration(d)
	}
	return humanDuration(d)
}
