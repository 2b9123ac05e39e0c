package prometheus_test

import (
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// metricsSection returns the README's "### Metrics" section: the table of
// metrics and the alerts worth setting.
func metricsSection(t *testing.T) string {
	t.Helper()
	data, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	readme := string(data)
	start := strings.Index(readme, "\n### Metrics\n")
	if start < 0 {
		t.Fatal(`README.md has no "### Metrics" section`)
	}
	section := readme[start+1:]
	if end := strings.Index(section, "\n### "); end >= 0 {
		section = section[:end]
	}
	return section
}

// TestReadmeListsEveryMetric checks the README's Metrics table against
// live nodes both ways: every idcoord metric family they export is
// documented, and every metric the table names is exported.
func TestReadmeListsEveryMetric(t *testing.T) {
	section := metricsSection(t)
	table := section[strings.Index(section, "| metric |"):]
	if end := strings.Index(table, "\n\n"); end >= 0 {
		table = table[:end]
	}
	documented := map[string]bool{}
	for _, m := range regexp.MustCompile("`(idcoord_[a-z0-9_]+)[`{]").FindAllStringSubmatch(table, -1) {
		documented[m[1]] = true
	}
	got := exported(t)
	var families []string
	for f := range got.Families {
		if strings.HasPrefix(f, "idcoord_") {
			families = append(families, f)
		}
	}
	slices.Sort(families)
	for _, f := range families {
		if !documented[f] {
			t.Errorf("%s is exported but not in README's Metrics table", f)
		}
	}
	for d := range documented {
		if !got.Families[d] {
			t.Errorf("README's Metrics table names %s, which live nodes do not export", d)
		}
	}
	if len(families) == 0 {
		t.Fatalf("live nodes exported no idcoord metric:\n%s", got.Text)
	}
}
