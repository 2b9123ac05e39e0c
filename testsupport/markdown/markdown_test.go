package markdown

import "testing"

func TestSection(t *testing.T) {
	const doc = "# Title\n\n## One\n\ntext\n\n### Sub\n\nmore\n\n## Two\n\nlast\n"
	tests := []struct {
		heading string
		want    string
		ok      bool
	}{
		{"## One", "## One\n\ntext\n\n### Sub\n\nmore\n\n", true},
		{"### Sub", "### Sub\n\nmore\n\n## Two\n\nlast\n", true},
		{"## Two", "## Two\n\nlast\n", true},
		{"## Three", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.heading, func(t *testing.T) {
			got, ok := Section(doc, tt.heading)
			if got != tt.want || ok != tt.ok {
				t.Fatalf("Section(%q) = %q, %v; want %q, %v", tt.heading, got, ok, tt.want, tt.ok)
			}
		})
	}
}
