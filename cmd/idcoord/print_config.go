package main

import (
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/spf13/cobra"
	"gopkg.in/yaml.v3"
)

// redacted replaces the value of a secret key in every output.
const redacted = "[redacted]"

// configEntry is one key as print-config prints it.
type configEntry struct {
	Key    string `json:"key"`
	Value  any    `json:"value"`
	Source string `json:"source"`         // flag, env, file or default
	From   string `json:"from,omitempty"` // the flag, variable or file; for defaults, what they are worked out from
	where  string // Source and From in words, as resolved.where gives them
}

func newPrintConfigCommand(cfg *config) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "print-config [-o text|json|yaml]",
		Short: "Print every config key's effective value and where it came from",
		Long: `Print-config prints every config key with its effective value (defaults
filled in, layout fields taken from the preset) and its source: flag, env,
file or default. Secrets are printed as [redacted]; file keys such as
etcd.password-file hold paths, which are printed.

-o json prints one JSON object per line: {"key","value","source","from"}.
-o yaml prints a config file that gives the same settings, with each
value's source as a comment.`,
		Args: cobra.NoArgs,
	}
	out := addOutputFlag(cmd, "text", "json", "yaml")
	cmd.RunE = func(cmd *cobra.Command, _ []string) error {
		if err := out.check(); err != nil {
			return err
		}
		vals, err := cfg.resolve()
		if err != nil {
			return err
		}
		s, err := cfg.Settings()
		if err != nil {
			return err
		}
		entries := configEntries(vals, s)
		w := cmd.OutOrStdout()
		switch out.format {
		case "json":
			return jsonLines(w, entries)
		case "yaml":
			return writeConfigYAML(w, entries)
		}
		rows := [][]string{{"KEY", "VALUE", "SOURCE"}}
		for _, e := range entries {
			v := valueText(e.Value)
			if v == "" {
				v = `""`
			}
			rows = append(rows, []string{e.Key, v, e.where})
		}
		return table(w, rows)
	}
	return cmd
}

// configEntries pairs each resolved key with its effective value in s.
func configEntries(vals []resolved, s *settings) []configEntry {
	entries := make([]configEntry, 0, len(vals))
	for _, r := range vals {
		e := configEntry{Key: r.key.name, Value: r.key.show(s), Source: r.src.String(), From: r.origin, where: r.where()}
		if r.key.secret {
			e.Value = redacted
		}
		entries = append(entries, e)
	}
	return entries
}

// listText returns the items of a list value as text, and whether v is a list.
func listText(v any) ([]string, bool) {
	var items []string
	switch v := v.(type) {
	case []string:
		items = v
	case []int64:
		for _, n := range v {
			items = append(items, strconv.FormatInt(n, 10))
		}
	case []uint32:
		for _, n := range v {
			items = append(items, strconv.FormatUint(uint64(n), 10))
		}
	default:
		return nil, false
	}
	return items, true
}

// valueText prints a value as a flag would take it: lists comma-separated.
func valueText(v any) string {
	if items, ok := listText(v); ok {
		return strings.Join(items, ",")
	}
	return fmt.Sprint(v)
}

// writeConfigYAML writes entries as a nested YAML config file, each value
// followed by its source as a comment.
func writeConfigYAML(w io.Writer, entries []configEntry) error {
	root := &yaml.Node{Kind: yaml.MappingNode}
	for _, e := range entries {
		path := strings.Split(lookupKey(e.Key).yamlPath(), ".")
		m := root
		for _, part := range path[:len(path)-1] {
			m = childMapping(m, part)
		}
		val := valueNode(e.Value)
		val.LineComment = e.where
		m.Content = append(m.Content, &yaml.Node{Kind: yaml.ScalarNode, Value: path[len(path)-1]}, val)
	}
	enc := yaml.NewEncoder(w)
	enc.SetIndent(2)
	if err := enc.Encode(root); err != nil {
		return err
	}
	return enc.Close()
}

// childMapping returns the mapping under name in m, adding it if missing.
func childMapping(m *yaml.Node, name string) *yaml.Node {
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == name {
			return m.Content[i+1]
		}
	}
	child := &yaml.Node{Kind: yaml.MappingNode}
	m.Content = append(m.Content, &yaml.Node{Kind: yaml.ScalarNode, Value: name}, child)
	return child
}

// valueNode returns v as a YAML node: a flow list for lists, a scalar
// tagged with its type otherwise.
func valueNode(v any) *yaml.Node {
	if items, ok := listText(v); ok {
		seq := &yaml.Node{Kind: yaml.SequenceNode, Style: yaml.FlowStyle}
		tag := "!!str"
		if _, isStrings := v.([]string); !isStrings {
			tag = "!!int"
		}
		for _, item := range items {
			seq.Content = append(seq.Content, &yaml.Node{Kind: yaml.ScalarNode, Tag: tag, Value: item})
		}
		return seq
	}
	switch v.(type) {
	case int, int64:
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!int", Value: fmt.Sprint(v)}
	default:
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: fmt.Sprint(v)}
	}
}
