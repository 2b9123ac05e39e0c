package main

import (
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/idcoord/idcoord/testsupport/markdown"
)

// referenceHeading starts the README section that lists every config key.
const referenceHeading = "## Configuration reference"

// TestReadmeConfigReference checks the README's configuration reference
// against the keys table: every key in the code has a row, every row names a
// key in the code, each row's flag and variable are the ones the CLI binds,
// and its default is the code's. Dotted names in backticks anywhere in the
// section must be keys too, so that prose cannot name a key that is gone.
func TestReadmeConfigReference(t *testing.T) {
	data, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	section, ok := markdown.Section(string(data), referenceHeading)
	if !ok {
		t.Fatalf("README.md has no %q section", referenceHeading)
	}
	rows := referenceRows(section)
	if len(rows) == 0 {
		t.Fatal("the configuration reference has no table rows")
	}
	seen := map[string]bool{}
	for _, row := range rows {
		if len(row) != 5 {
			t.Errorf("row %q has %d columns, want 5: key, flag, environment, default, meaning", row, len(row))
			continue
		}
		name := strings.Trim(row[0], "`")
		k := lookupKey(name)
		if k == nil {
			t.Errorf("the README lists %q, which is not a config key", name)
			continue
		}
		if seen[name] {
			t.Errorf("the README lists %s twice", name)
		}
		seen[name] = true
		if want := "`--" + name + "`"; row[1] != want {
			t.Errorf("%s: flag column %s, want %s", name, row[1], want)
		}
		if want := "`" + envName(name) + "`"; row[2] != want {
			t.Errorf("%s: environment column %s, want %s", name, row[2], want)
		}
		switch def := row[3]; {
		case k.def != "" && !strings.Contains(def, "`"+k.def+"`"):
			t.Errorf("%s: default column %s, but the code's default is %q", name, def, k.def)
		case k.derived != "" && !strings.Contains(def, k.derived):
			t.Errorf("%s: default column %s, but the code works the default out from the %s", name, def, k.derived)
		}
		if strings.TrimSpace(row[4]) == "" {
			t.Errorf("%s: no meaning given", name)
		}
	}
	for i := range keys {
		if !seen[keys[i].name] {
			t.Errorf("config key %s is missing from the README's configuration reference", keys[i].name)
		}
	}
	for _, m := range dottedName.FindAllStringSubmatch(section, -1) {
		if lookupKey(m[1]) == nil && !slices.Contains(notKeys, m[1]) {
			t.Errorf("the configuration reference names `%s`, which is not a config key", m[1])
		}
	}
}

// dottedName matches a backticked dotted lower-case name, such as
// `etcd.endpoints`.
var dottedName = regexp.MustCompile("`([a-z][a-z-]*(?:\\.[a-z][a-z-]*)+)`")

// notKeys are dotted names the reference may show that are not keys.
var notKeys = []string{"leaf.name"}

// referenceRows returns the cells of the table rows whose first cell is a
// backticked name; the header and the separator row are skipped.
func referenceRows(section string) [][]string {
	var rows [][]string
	for line := range strings.Lines(section) {
		line = strings.TrimSpace(line)
		if !strings.HasPrefix(line, "| `") {
			continue
		}
		rows = append(rows, splitRow(line))
	}
	return rows
}

// splitRow splits a Markdown table row on its unescaped pipes and trims
// each cell.
func splitRow(line string) []string {
	line = strings.TrimSuffix(strings.TrimPrefix(line, "|"), "|")
	var cells []string
	var cell strings.Builder
	for i := 0; i < len(line); i++ {
		switch {
		case line[i] == '\\' && i+1 < len(line) && line[i+1] == '|':
			cell.WriteByte('|')
			i++
		case line[i] == '|':
			cells = append(cells, strings.TrimSpace(cell.String()))
			cell.Reset()
		default:
			cell.WriteByte(line[i])
		}
	}
	return append(cells, strings.TrimSpace(cell.String()))
}

func TestSplitRow(t *testing.T) {
	tests := []struct {
		line string
		want []string
	}{
		{"| `a` | b |", []string{"`a`", "b"}},
		{"| `a` | x \\| y | |", []string{"`a`", "x | y", ""}},
		{"|a|", []string{"a"}},
	}
	for _, tc := range tests {
		if got := splitRow(tc.line); !slices.Equal(got, tc.want) {
			t.Errorf("splitRow(%q) = %q, want %q", tc.line, got, tc.want)
		}
	}
}
