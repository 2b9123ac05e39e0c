package main

import (
	"errors"
	"fmt"
	"os"
	"strings"

	"gopkg.in/yaml.v3"
)

// readConfigFile reads the YAML config file at path; see parseConfigFile.
func readConfigFile(path string) (map[string]any, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("config file: %w", err)
	}
	vals, err := parseConfigFile(data)
	if err != nil {
		return nil, fmt.Errorf("config file %s: %w", path, err)
	}
	return vals, nil
}

// parseConfigFile reads a YAML config document into key name → value. A
// value is the text as written (a string), or a []string for a YAML list
// given to a list key; typed parsing happens later, as for flags and env.
// Keeping the text matters: YAML would read socket.mode 0660 as 432.
//
// Keys nest on '.' (etcd: {endpoints: [...]}); a dotted key written flat
// (etcd.endpoints: [...]) works too. The socket path is written either as
// socket: PATH or, beside its children, as socket: {path: PATH, mode: ...}.
// Null values are left out. An unknown key, a list or mapping given to a
// single-value key, and a key set twice are errors that name the line.
func parseConfigFile(data []byte) (map[string]any, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, errors.New(oneLine(err.Error()))
	}
	out := map[string]any{}
	if doc.Kind == 0 || len(doc.Content) == 0 {
		return out, nil // empty file
	}
	root := deref(doc.Content[0])
	if isNull(root) {
		return out, nil
	}
	if root.Kind != yaml.MappingNode {
		return nil, fmt.Errorf("line %d: want a mapping of keys at the top", root.Line)
	}
	if err := walkConfig("", "", root, out); err != nil {
		return nil, err
	}
	return out, nil
}

// walkConfig adds the keys of mapping node m, whose path is prefix, to out.
// Keys match case-insensitively; written is the path as the file spells
// it, for error messages.
func walkConfig(prefix, written string, m *yaml.Node, out map[string]any) error {
	for i := 0; i+1 < len(m.Content); i += 2 {
		kn, vn := deref(m.Content[i]), deref(m.Content[i+1])
		if kn.Kind != yaml.ScalarNode {
			return fmt.Errorf("line %d: a key must be plain text", kn.Line)
		}
		name, as := strings.ToLower(kn.Value), kn.Value
		if prefix != "" {
			name, as = prefix+"."+name, written+"."+as
		}
		k := fileKey(name)
		switch {
		case k != nil && (vn.Kind != yaml.MappingNode || k.leaf == "" || k.name != name):
			val, err := nodeValue(k, vn)
			if err != nil {
				return err
			}
			if val == nil {
				continue
			}
			if _, dup := out[k.name]; dup {
				return fmt.Errorf("line %d: %s is set twice", kn.Line, k.name)
			}
			out[k.name] = val
		case isGroup(name) && vn.Kind == yaml.MappingNode:
			if err := walkConfig(name, as, vn, out); err != nil {
				return err
			}
		case isGroup(name) && isNull(vn):
			// an empty group, such as "etcd:" with nothing under it
		case isGroup(name):
			return fmt.Errorf("line %d: %s is a group of keys; write them under it, as %s: {%s: ...}",
				kn.Line, name, name, groupChild(name))
		default:
			return fmt.Errorf("line %d: unknown key %q", kn.Line, as)
		}
	}
	return nil
}

// nodeValue returns the value of key k written as node n: a string, a
// []string (lists only), or nil for a null.
func nodeValue(k *key, n *yaml.Node) (any, error) {
	switch {
	case isNull(n):
		return nil, nil
	case n.Kind == yaml.ScalarNode:
		return n.Value, nil
	case n.Kind == yaml.SequenceNode && k.list:
		items := make([]string, 0, len(n.Content))
		for _, item := range n.Content {
			item = deref(item)
			if item.Kind != yaml.ScalarNode || isNull(item) {
				return nil, fmt.Errorf("line %d: %s items must be plain values", item.Line, k.name)
			}
			items = append(items, item.Value)
		}
		return items, nil
	case n.Kind == yaml.SequenceNode:
		return nil, fmt.Errorf("line %d: %s takes one value, not a list", n.Line, k.name)
	default:
		return nil, fmt.Errorf("line %d: %s takes a value, not a mapping", n.Line, k.name)
	}
}

// fileKey returns the key a YAML path names: a key's name, or the YAML path
// of a key that is also a group (socket.path).
func fileKey(path string) *key {
	for i := range keys {
		if keys[i].name == path || keys[i].yamlPath() == path {
			return &keys[i]
		}
	}
	return nil
}

// isGroup reports whether some key lives under path.
func isGroup(path string) bool { return groupChild(path) != "" }

// groupChild returns the next path part of the first key under path, or "".
func groupChild(path string) string {
	for i := range keys {
		if rest, ok := strings.CutPrefix(keys[i].yamlPath(), path+"."); ok {
			child, _, _ := strings.Cut(rest, ".")
			return child
		}
	}
	return ""
}

// deref follows a YAML alias to the node it names.
func deref(n *yaml.Node) *yaml.Node {
	for n.Kind == yaml.AliasNode && n.Alias != nil {
		n = n.Alias
	}
	return n
}

// isNull reports whether n is a YAML null (~, null, or nothing).
func isNull(n *yaml.Node) bool {
	return n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null"
}
