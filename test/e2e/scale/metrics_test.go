package scale

import (
	"bufio"
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

// series is one line of Prometheus text exposition: a name, its labels
// and a value.
type series struct {
	name   string
	labels map[string]string
	value  float64
}

// labelPair matches one name="value" of a label set; values may hold
// escaped quotes.
var labelPair = regexp.MustCompile(`([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"`)

// parseExposition reads the series of a /metrics answer in the Prometheus
// text format, skipping comments and blank lines. A line it cannot read is
// an error naming the line.
func parseExposition(text string) ([]series, error) {
	var out []series
	sc := bufio.NewScanner(strings.NewReader(text))
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		s, err := parseSeries(line)
		if err != nil {
			return nil, fmt.Errorf("metrics line %d: %w", n, err)
		}
		out = append(out, s)
	}
	return out, sc.Err()
}

func parseSeries(line string) (series, error) {
	s := series{labels: map[string]string{}}
	rest := line
	if open := strings.IndexByte(line, '{'); open >= 0 {
		end := strings.LastIndexByte(line, '}')
		if end < open {
			return s, fmt.Errorf("unclosed label set: %q", line)
		}
		s.name = line[:open]
		for _, m := range labelPair.FindAllStringSubmatch(line[open+1:end], -1) {
			s.labels[m[1]] = m[2]
		}
		rest = line[end+1:]
	} else {
		name, value, ok := strings.Cut(line, " ")
		if !ok {
			return s, fmt.Errorf("no value: %q", line)
		}
		s.name, rest = name, value
	}
	fields := strings.Fields(rest) // the value, then an optional timestamp
	if s.name == "" || len(fields) == 0 {
		return s, fmt.Errorf("no name or no value: %q", line)
	}
	v, err := strconv.ParseFloat(fields[0], 64)
	if err != nil {
		return s, fmt.Errorf("value %q is not a number: %q", fields[0], line)
	}
	s.value = v
	return s, nil
}
