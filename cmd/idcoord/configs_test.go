package main

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

// configsDir holds the example configs and manifests.
const configsDir = "../../configs"

// TestExampleConfigs loads every example config through the CLI, as
// `idcoord print-config --config FILE` does, and checks that it validates,
// that every value it sets comes from the file and reads back as written,
// that it sets or shows (commented out) every key its store uses, and that
// the comment on each key states the default the code has.
func TestExampleConfigs(t *testing.T) {
	layoutFields := []string{"layout.epoch", "layout.time-bits", "layout.time-unit", "layout.datacenter-bits", "layout.worker-bits",
		"layout.sequence-bits", "datacenter.id"}
	tests := []struct {
		file  string
		coord string
		// unused keys belong to other stores; the file leaves them out.
		unused []string
		// shown keys are left to their defaults, shown as commented-out lines.
		shown []string
	}{
		{file: "etcd.yaml", coord: coordEtcd,
			unused: []string{"zk.*", "data-dir"},
			shown:  append([]string{"node.name", "etcd.cert-file", "etcd.key-file", "admin.advertise"}, layoutFields...)},
		{file: "zk.yaml", coord: coordZK,
			unused: []string{"etcd.*", "lease.ttl", "data-dir"},
			shown:  append([]string{"node.name"}, layoutFields...)},
		{file: "embedded.yaml", coord: coordEmbedded,
			unused: []string{"zk.*", "etcd.username", "etcd.password-file", "etcd.ca-file", "etcd.cert-file", "etcd.key-file"},
			shown:  append([]string{"node.name", "admin.advertise"}, layoutFields...)},
	}
	files, err := filepath.Glob(filepath.Join(configsDir, "*.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, f := range files {
		names = append(names, filepath.Base(f))
	}
	for _, tc := range tests {
		if !slices.Contains(names, tc.file) {
			t.Errorf("configs/%s is missing", tc.file)
		}
	}
	if len(names) != len(tests) {
		t.Errorf("configs/ holds %v; this test knows %d of them, add the others to it", names, len(tests))
	}

	for _, tc := range tests {
		t.Run(tc.file, func(t *testing.T) {
			path := filepath.Join(configsDir, tc.file)
			data, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			set, err := parseConfigFile(data)
			if err != nil {
				t.Fatal(err)
			}
			entries := effective(t, "--config", path)
			if got := entries["coord"].Value; got != tc.coord {
				t.Errorf("coord is %v, want %s", got, tc.coord)
			}
			for i := range keys {
				k := &keys[i]
				e := entries[k.name]
				raw, isSet := set[k.name]
				switch {
				case isSet && e.Source != "file":
					t.Errorf("%s comes from %s, want the file", k.name, e.Source)
				case isSet && !sameValue(raw, e.Value):
					t.Errorf("%s is %#v in the file but %#v in effect", k.name, raw, e.Value)
				case isSet && matchesAny(k.name, tc.unused):
					t.Errorf("%s is set, but %s does not use it", k.name, tc.coord)
				case !isSet && slices.Contains(tc.shown, k.name):
					if !commentedOut(string(data), k.yamlPath()) {
						t.Errorf("%s should be shown as a commented-out line", k.name)
					}
				case !isSet && !matchesAny(k.name, tc.unused):
					t.Errorf("%s is neither set nor shown; %s uses it", k.name, tc.coord)
				}
			}
			checkComments(t, data)
		})
	}
}

// sameValue reports whether a raw file value (text or a list of text) reads
// back as v, print-config's value.
func sameValue(raw, v any) bool {
	want := valueText(v)
	if f, ok := v.(float64); ok { // a JSON number: 1000000, not 1e+06
		want = strconv.FormatFloat(f, 'f', -1, 64)
	}
	if items, ok := v.([]any); ok { // decoded from print-config's JSON
		text := make([]string, len(items))
		for i, item := range items {
			text[i] = fmt.Sprint(item)
		}
		want = strings.Join(text, ",")
	}
	switch raw := raw.(type) {
	case []string:
		return strings.Join(raw, ",") == want
	case string:
		return raw == want || "0"+raw == want // a mode may be written without its leading 0
	}
	return false
}

// matchesAny reports whether name is one of patterns, where "group.*"
// stands for every key under group.
func matchesAny(name string, patterns []string) bool {
	for _, p := range patterns {
		if group, ok := strings.CutSuffix(p, ".*"); ok && strings.HasPrefix(name, group+".") || p == name {
			return true
		}
	}
	return false
}

// commentedOut reports whether the last part of the YAML path appears as a
// commented-out key line, such as "  # cert-file: /etc/...".
func commentedOut(doc, yamlPath string) bool {
	parts := strings.Split(yamlPath, ".")
	re := regexp.MustCompile(`(?m)^\s*#\s*` + regexp.QuoteMeta(parts[len(parts)-1]) + `:\s`)
	return re.MatchString(doc)
}

// checkComments walks the file's YAML nodes: every key that sets a value
// must carry a comment, and the comment must give the default the code
// has ("Default: 10s", or the source of a worked-out default).
func checkComments(t *testing.T, data []byte) {
	t.Helper()
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}
	var walk func(prefix string, m *yaml.Node)
	walk = func(prefix string, m *yaml.Node) {
		for i := 0; i+1 < len(m.Content); i += 2 {
			kn, vn := m.Content[i], m.Content[i+1]
			name := kn.Value
			if prefix != "" {
				name = prefix + "." + name
			}
			comment := kn.HeadComment + " " + kn.LineComment + " " + vn.LineComment
			switch {
			case vn.Kind == yaml.MappingNode:
				walk(name, vn)
				continue
			case isGroup(name) && isNull(vn):
				continue // a group whose keys are all commented out
			}
			k := fileKey(name)
			if k == nil {
				t.Errorf("line %d: %s is not a key", kn.Line, name)
				continue
			}
			if strings.TrimSpace(comment) == "" {
				t.Errorf("line %d: %s has no comment saying what it does", kn.Line, k.name)
				continue
			}
			_, def, ok := strings.Cut(comment, "Default:")
			def = strings.Join(strings.Fields(def), " ")
			switch {
			case !ok:
				t.Errorf("line %d: the comment on %s gives no \"Default:\"", kn.Line, k.name)
			case k.def != "" && !strings.Contains(def, k.def):
				t.Errorf("line %d: the comment on %s says Default: %q; the code's default is %q", kn.Line, k.name, def, k.def)
			case k.derived != "" && !strings.Contains(def, k.derived):
				t.Errorf("line %d: the comment on %s says Default: %q; the code works it out from the %s", kn.Line, k.name, def, k.derived)
			}
		}
	}
	if len(doc.Content) == 1 && doc.Content[0].Kind == yaml.MappingNode {
		walk("", doc.Content[0])
	}
}

// TestSameValue pins the helper the example-config test leans on.
func TestSameValue(t *testing.T) {
	tests := []struct {
		raw  any
		v    any
		want bool
	}{
		{"10s", "10s", true},
		{[]string{"a:1", "b:2"}, []string{"a:1", "b:2"}, true},
		{[]string{"0"}, []int64{0}, true},
		{"660", "0660", true},
		{"10s", "11s", false},
		{[]string{"a:1"}, []string{"a:1", "b:2"}, false},
		{[]string{"a:1", "b:2"}, []any{"a:1", "b:2"}, true},
		{[]string{"0", "1000"}, []any{float64(0), float64(1000)}, true},
		{[]string{}, []any{}, true},
	}
	for _, tc := range tests {
		if got := sameValue(tc.raw, tc.v); got != tc.want {
			t.Errorf("sameValue(%#v, %#v) = %v, want %v", tc.raw, tc.v, got, tc.want)
		}
	}
}
