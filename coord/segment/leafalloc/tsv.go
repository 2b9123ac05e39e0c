package leafalloc

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"
)

// maxLineBytes bounds one line of the TSV: far above what a row that fits a
// segment record takes (a 128-byte tag, two numbers and a description of
// coord.MaxDescriptionBytes, every byte escaped).
const maxLineBytes = 64 << 10

// header is the first line `mysql --batch` prints for the query.
var header = strings.Join(Columns[:], "\t")

// ReadTSV reads the output of
//
//	mysql --batch -e 'SELECT biz_tag,max_id,step,description FROM leaf_alloc'
//
// a header line naming those four columns, then one row per line, the
// columns separated by tabs, with the client's batch escaping: a tab,
// newline, backslash and NUL byte in a value are printed as \t, \n, \\ and
// \0. NULL prints as the text NULL, so a description NULL (or the text
// "NULL", which the client prints alike) reads as empty. An empty input,
// which is what the client prints for an empty table, is no rows.
//
// Errors name the line: ErrBadTSV for a line that is not such output (no
// header, a wrong number of columns, an escape the client does not write, a
// line over 64 KiB), ErrBadRow for a row that cannot be imported (see
// CheckRows) or a tag on an earlier line.
func ReadTSV(r io.Reader) ([]Row, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 4096), maxLineBytes)
	sc.Split(scanLines)
	var rows []Row
	seen := map[string]int{} // tag -> line
	n := 0
	for sc.Scan() {
		n++
		line := sc.Text()
		if n == 1 {
			if line != header {
				return nil, fmt.Errorf("line 1: %w: %.80q is not the header %q (mysql --batch, without -N)", ErrBadTSV, line, header)
			}
			continue
		}
		row, err := readLine(line)
		if err != nil {
			return nil, fmt.Errorf("line %d: %w", n, err)
		}
		if first, ok := seen[row.Tag]; ok {
			return nil, fmt.Errorf("line %d: %w: biz_tag %q appears on line %d too", n, ErrBadRow, row.Tag, first)
		}
		seen[row.Tag] = n
		rows = append(rows, row)
	}
	if err := sc.Err(); err != nil {
		if errors.Is(err, bufio.ErrTooLong) {
			return nil, fmt.Errorf("line %d: %w: longer than %d bytes", n+1, ErrBadTSV, maxLineBytes)
		}
		return nil, fmt.Errorf("leafalloc: reading line %d: %w", n+1, err)
	}
	return rows, nil
}

// readLine reads one row of the TSV.
func readLine(line string) (Row, error) {
	fields := strings.Split(line, "\t")
	if len(fields) != len(Columns) {
		return Row{}, fmt.Errorf("%w: %d columns, want %d (%s)", ErrBadTSV, len(fields), len(Columns), strings.Join(Columns[:], ", "))
	}
	for i, f := range fields {
		v, err := unescape(f)
		if err != nil {
			return Row{}, fmt.Errorf("%w: column %s: %v", ErrBadTSV, Columns[i], err)
		}
		fields[i] = v
	}
	if fields[3] == "NULL" {
		fields[3] = ""
	}
	r, err := rowOf(fields[0], fields[1], fields[2], fields[3])
	if err != nil {
		return Row{}, fmt.Errorf("%w: %w", ErrBadRow, err)
	}
	return r, nil
}

// unescape undoes the batch escaping of the mysql client: \\ \t \n \0.
func unescape(s string) (string, error) {
	i := strings.IndexByte(s, '\\')
	if i < 0 {
		return s, nil
	}
	var b strings.Builder
	b.Grow(len(s))
	b.WriteString(s[:i])
	for ; i < len(s); i++ {
		c := s[i]
		if c != '\\' {
			b.WriteByte(c)
			continue
		}
		if i+1 == len(s) {
			return "", fmt.Errorf("a lone backslash ends the value")
		}
		i++
		switch s[i] {
		case '\\':
			b.WriteByte('\\')
		case 't':
			b.WriteByte('\t')
		case 'n':
			b.WriteByte('\n')
		case '0':
			b.WriteByte(0)
		default:
			return "", fmt.Errorf("escape %q at byte %d is not one the client writes (\\\\ \\t \\n \\0)", s[i-1:i+1], i-1)
		}
	}
	return b.String(), nil
}

// scanLines splits at '\n' alone: the client prints a carriage return in
// a value as it is, so a "\r\n" ends a line whose last value ends in '\r'.
func scanLines(data []byte, atEOF bool) (advance int, token []byte, err error) {
	if i := bytes.IndexByte(data, '\n'); i >= 0 {
		return i + 1, data[:i], nil
	}
	if atEOF && len(data) > 0 {
		return len(data), data, nil
	}
	return 0, nil, nil
}
