// Package markdown reads the parts of the repository's Markdown documents
// that tests hold against the code: a README section, by its heading.
package markdown

import "strings"

// Section returns the text of doc from the line heading (such as
// "## Clients") to the next heading of the same level, or to the end; false
// when doc has no such line.
func Section(doc, heading string) (string, bool) {
	start := strings.Index(doc, "\n"+heading+"\n")
	if start < 0 {
		return "", false
	}
	rest := doc[start+1:]
	level := heading[:strings.IndexByte(heading, ' ')]
	if end := strings.Index(rest[len(heading):], "\n"+level+" "); end >= 0 {
		return rest[:len(heading)+end+1], true
	}
	return rest, true
}
