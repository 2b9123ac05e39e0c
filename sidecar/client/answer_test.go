package client

import (
	"errors"
	"strconv"
	"testing"
)

func TestParseIDLines(t *testing.T) {
	for _, tc := range []struct {
		name string
		body string
		n    int
		want []int64 // nil: an error
	}{
		{"one", "42\n", 1, []int64{42}},
		{"three", "1\n2\n30\n", 3, []int64{1, 2, 30}},
		{"largest", "9223372036854775807\n", 1, []int64{9223372036854775807}},
		{"empty", "", 1, nil},
		{"fewer", "1\n2\n", 3, nil},
		{"more", "1\n2\n3\n", 2, nil},
		{"no final newline", "1\n2", 2, nil},
		{"not increasing", "2\n2\n", 2, nil},
		{"decreasing", "3\n2\n", 2, nil},
		{"blank line", "1\n\n2\n", 2, nil},
		{"crlf", "1\r\n", 1, nil},
		{"sign", "-1\n", 1, nil},
		{"overflow", "9223372036854775808\n", 1, nil},
		{"twenty digits", "10000000000000000000\n", 1, nil},
		{"json", `{"ids":["1"]}`, 1, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			prefix := []int64{-5}
			got, err := parseIDLines(prefix, []byte(tc.body), tc.n)
			if tc.want == nil {
				if err == nil || !errors.Is(err, ErrProtocol) || len(got) != 1 {
					t.Fatalf("got %v, %v; want ErrProtocol and dst unchanged", got, err)
				}
				return
			}
			if err != nil || len(got) != 1+len(tc.want) {
				t.Fatalf("got %v, %v; want %v", got, err, tc.want)
			}
			for i, id := range tc.want {
				if got[1+i] != id {
					t.Fatalf("got %v, want %v after the prefix", got, tc.want)
				}
			}
		})
	}
}

// BenchmarkAnswer parses a line-protocol answer of 1000 IDs, as a Conn does
// for each batch; it must not allocate.
func BenchmarkAnswer(b *testing.B) {
	var line []byte
	for i := range 1000 {
		if i > 0 {
			line = append(line, ' ')
		}
		line = strconv.AppendInt(line, 2124029378810630151+int64(i), 10)
	}
	line = append(line, '\n')
	dst := make([]int64, 0, 1000)
	b.ReportAllocs()
	b.SetBytes(int64(len(line)))
	for b.Loop() {
		var a answer
		a.start(dst, 1000, ' ', true)
		if _, end, err := a.parse(line); !end || err != nil {
			b.Fatal(end, err)
		}
	}
}
