package metricstest

import (
	"errors"
	"fmt"
	"slices"
	"strings"
)

// ErrBadExpr is returned for an expression MetricNames cannot read.
var ErrBadExpr = errors.New("metricstest: cannot read the expression")

// keywords are the identifiers of PromQL that are not metric names when no
// "(" follows them: binary operators, modifiers, aggregations (which may
// take a by/without clause before their "(") and the float literals.
var keywords = map[string]bool{
	"and": true, "or": true, "unless": true, "atan2": true, "bool": true, "offset": true,
	"by": true, "without": true, "on": true, "ignoring": true, "group_left": true, "group_right": true,
	"sum": true, "min": true, "max": true, "avg": true, "group": true, "stddev": true, "stdvar": true,
	"count": true, "count_values": true, "bottomk": true, "topk": true, "quantile": true,
	"limitk": true, "limit_ratio": true, "inf": true, "nan": true, "start": true, "end": true,
}

// labelLists are the keywords followed by a parenthesised list of label
// names (optional after group_left and group_right).
var labelLists = map[string]bool{
	"by": true, "without": true, "on": true, "ignoring": true, "group_left": true, "group_right": true,
}

// MetricNames returns the metric names expr reads, sorted, each once.
func MetricNames(expr string) ([]string, error) {
	var names []string
	s := scanner{src: expr}
	for s.i < len(s.src) {
		c := s.src[s.i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			s.i++
		case c == '#': // a comment runs to the end of the line
			for s.i < len(s.src) && s.src[s.i] != '\n' {
				s.i++
			}
		case c == '"' || c == '\'' || c == '`':
			if err := s.skipString(); err != nil {
				return nil, err
			}
		case c == '$':
			if err := s.skipVariable(); err != nil {
				return nil, err
			}
		case c == '{':
			if err := s.skipUntil('}'); err != nil {
				return nil, err
			}
		case c == '[':
			if err := s.skipUntil(']'); err != nil {
				return nil, err
			}
		case isDigit(c) || (c == '.' && s.i+1 < len(s.src) && isDigit(s.src[s.i+1])):
			s.skipNumber()
		case isNameStart(c):
			name := s.ident()
			word := strings.ToLower(name) // keywords are case-insensitive
			next := s.peekNonSpace()
			switch {
			case (word == "group_left" || word == "group_right") && next != '(':
				// Without a list: no labels are copied over.
			case labelLists[word]:
				if next != '(' {
					return nil, fmt.Errorf("%w: %q at offset %d is not followed by a label list", ErrBadExpr, name, s.i)
				}
				s.skipSpace()
				if err := s.skipUntil(')'); err != nil {
					return nil, err
				}
			case next == '(' || keywords[word]:
				// A function or an aggregation: its arguments are read on.
			default:
				names = append(names, name)
			}
		case isOperator(c):
			s.i++
		default:
			return nil, fmt.Errorf("%w: unexpected %q at offset %d", ErrBadExpr, c, s.i)
		}
	}
	if err := s.balanced(expr); err != nil {
		return nil, err
	}
	slices.Sort(names)
	return slices.Compact(names), nil
}

// scanner walks an expression; i is the offset of the next byte.
type scanner struct {
	src string
	i   int
}

func (s *scanner) ident() string {
	start := s.i
	for s.i < len(s.src) && isNameChar(s.src[s.i]) {
		s.i++
	}
	return s.src[start:s.i]
}

func (s *scanner) skipSpace() {
	for s.i < len(s.src) && (s.src[s.i] == ' ' || s.src[s.i] == '\t' || s.src[s.i] == '\n' || s.src[s.i] == '\r') {
		s.i++
	}
}

// peekNonSpace returns the next byte that is not white space, or 0.
func (s *scanner) peekNonSpace() byte {
	for j := s.i; j < len(s.src); j++ {
		switch c := s.src[j]; c {
		case ' ', '\t', '\n', '\r':
		default:
			return c
		}
	}
	return 0
}

// skipString skips a quoted string starting at s.i; backslash escapes
// count in "..." and '...', not in `...`.
func (s *scanner) skipString() error {
	q, start := s.src[s.i], s.i
	for s.i++; s.i < len(s.src); s.i++ {
		switch c := s.src[s.i]; {
		case c == '\\' && q != '`':
			s.i++
		case c == q:
			s.i++
			return nil
		}
	}
	return fmt.Errorf("%w: string at offset %d is not closed", ErrBadExpr, start)
}

// skipUntil skips from an opening bracket at s.i past its closing one,
// strings inside included; the same bracket may nest (a matcher never
// holds one, a subquery's range never does).
func (s *scanner) skipUntil(closing byte) error {
	opening, start, depth := s.src[s.i], s.i, 0
	for s.i < len(s.src) {
		switch c := s.src[s.i]; {
		case c == '"' || c == '\'' || c == '`':
			if err := s.skipString(); err != nil {
				return err
			}
			continue
		case c == opening:
			depth++
		case c == closing:
			depth--
			if depth == 0 {
				s.i++
				return nil
			}
		}
		s.i++
	}
	return fmt.Errorf("%w: %q at offset %d is not closed", ErrBadExpr, opening, start)
}

// skipVariable skips a Grafana variable: $name or ${name...}.
func (s *scanner) skipVariable() error {
	s.i++
	if s.i < len(s.src) && s.src[s.i] == '{' {
		return s.skipUntil('}')
	}
	if s.i == len(s.src) || !isNameStart(s.src[s.i]) {
		return fmt.Errorf("%w: '$' at offset %d names no variable", ErrBadExpr, s.i-1)
	}
	s.ident()
	return nil
}

// skipNumber skips a number: decimal, hexadecimal, with an exponent, or a
// duration such as 5m (in offset 5m).
func (s *scanner) skipNumber() {
	for s.i < len(s.src) && (isNameChar(s.src[s.i]) || s.src[s.i] == '.' ||
		((s.src[s.i] == '+' || s.src[s.i] == '-') && (s.src[s.i-1] == 'e' || s.src[s.i-1] == 'E'))) {
		s.i++
	}
}

// balanced checks the parentheses outside strings, matchers and ranges,
// which the loop steps over one at a time.
func (s *scanner) balanced(expr string) error {
	depth := 0
	t := scanner{src: expr}
	for t.i < len(t.src) {
		switch c := t.src[t.i]; c {
		case '"', '\'', '`':
			if err := t.skipString(); err != nil {
				return err
			}
			continue
		case '{':
			if err := t.skipUntil('}'); err != nil {
				return err
			}
			continue
		case '[':
			if err := t.skipUntil(']'); err != nil {
				return err
			}
			continue
		case '(':
			depth++
		case ')':
			depth--
			if depth < 0 {
				return fmt.Errorf("%w: ')' at offset %d closes nothing", ErrBadExpr, t.i)
			}
		}
		t.i++
	}
	if depth != 0 {
		return fmt.Errorf("%w: %d '(' not closed", ErrBadExpr, depth)
	}
	return nil
}

func isDigit(c byte) bool     { return '0' <= c && c <= '9' }
func isNameStart(c byte) bool { return c == '_' || c == ':' || 'a' <= c|0x20 && c|0x20 <= 'z' }
func isNameChar(c byte) bool  { return isNameStart(c) || isDigit(c) }

// isOperator reports whether c is a byte of a PromQL operator or
// punctuation: arithmetic, comparison, the @ modifier, commas, parentheses.
func isOperator(c byte) bool {
	switch c {
	case '+', '-', '*', '/', '%', '^', '=', '!', '<', '>', '@', ',', '(', ')':
		return true
	}
	return false
}
