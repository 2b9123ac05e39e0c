package main

import (
	"os"
	"reflect"
	"slices"
	"sort"
	"strings"
	"testing"
)

// TestPrecedence checks each level, for keys of every shape: default; the
// file over the default; env over the file; a flag over env.
func TestPrecedence(t *testing.T) {
	for _, tc := range []struct {
		key        string
		file       string // YAML that sets the key
		env, flag  string
		def        any // effective value at each level, as JSON decodes it
		atFile     any
		atEnv      any
		atFlag     any
		defaultSrc string // From of the default, if worked out
	}{
		{key: "cluster", file: "cluster: c-file\n", env: "c-env", flag: "c-flag",
			def: "default", atFile: "c-file", atEnv: "c-env", atFlag: "c-flag"},
		{key: "etcd.password-file", file: "etcd:\n  password-file: /file/pw\n", env: "/env/pw", flag: "/flag/pw",
			def: "", atFile: "/file/pw", atEnv: "/env/pw", atFlag: "/flag/pw"},
		{key: "etcd.endpoints", file: "etcd:\n  endpoints: [f1:2379, f2:2379]\n", env: "e1:2379,e2:2379", flag: "g1:2379,g2:2379",
			def: []any{"127.0.0.1:2379"}, atFile: []any{"f1:2379", "f2:2379"}, atEnv: []any{"e1:2379", "e2:2379"}, atFlag: []any{"g1:2379", "g2:2379"}},
		{key: "worker.reserved", file: "worker:\n  reserved: [0, 7]\n", env: "0,8", flag: "9,0",
			def: []any{0.0}, atFile: []any{0.0, 7.0}, atEnv: []any{0.0, 8.0}, atFlag: []any{0.0, 9.0}},
		{key: "socket", file: "socket: /file.sock\n", env: "/env.sock", flag: "/flag.sock",
			def: "/run/idcoord/idcoord.sock", atFile: "/file.sock", atEnv: "/env.sock", atFlag: "/flag.sock"},
		{key: "socket.mode", file: "socket:\n  mode: 0600\n", env: "0640", flag: "644",
			def: "0660", atFile: "0600", atEnv: "0640", atFlag: "0644"},
		{key: "layout.time-bits", file: "layout:\n  time-bits: 40\n", env: "39", flag: "38",
			def: 41.0, atFile: 40.0, atEnv: 39.0, atFlag: 38.0, defaultSrc: "preset"},
		{key: "clock.max-backward-wait", file: "clock:\n  max-backward-wait: 7ms\n", env: "8ms", flag: "0",
			def: "5ms", atFile: "7ms", atEnv: "8ms", atFlag: "0s"},
		{key: "zk.leaf-name", file: "zk:\n  leaf-name: lf\n", env: "le", flag: "lg",
			def: "default", atFile: "lf", atEnv: "le", atFlag: "lg", defaultSrc: "cluster"},
	} {
		t.Run(tc.key, func(t *testing.T) {
			env := envName(tc.key)
			file := writeFile(t, "idcoord.yaml", tc.file)
			check := func(t *testing.T, args []string, want any, src, from string) {
				t.Helper()
				e := effective(t, args...)[tc.key]
				if !reflect.DeepEqual(e.Value, want) || e.Source != src || e.From != from {
					t.Errorf("got %#v from %s %q, want %#v from %s %q", e.Value, e.Source, e.From, want, src, from)
				}
			}
			t.Run("default", func(t *testing.T) {
				check(t, nil, tc.def, "default", tc.defaultSrc)
			})
			t.Run("file over default", func(t *testing.T) {
				check(t, []string{"--config", file}, tc.atFile, "file", file)
			})
			t.Run("env over file", func(t *testing.T) {
				t.Setenv(env, tc.env)
				check(t, []string{"--config", file}, tc.atEnv, "env", env)
			})
			t.Run("flag over env", func(t *testing.T) {
				t.Setenv(env, tc.env)
				check(t, []string{"--config", file, "--" + tc.key, tc.flag}, tc.atFlag, "flag", "--"+tc.key)
			})
			t.Run("empty env is unset", func(t *testing.T) {
				t.Setenv(env, "")
				check(t, []string{"--config", file}, tc.atFile, "file", file)
			})
		})
	}
}

// sample gives every key a valid value that differs from its default, as
// flag or env text. Adding a key means adding a sample.
var sample = map[string]string{
	"coord":                    "etcd",
	"cluster":                  "c1",
	"node.name":                "node-1",
	"etcd.endpoints":           "10.0.0.1:2379,10.0.0.2:2379",
	"etcd.username":            "idcoord",
	"etcd.password-file":       "/run/secrets/etcd-password",
	"etcd.ca-file":             "/etc/ca.pem",
	"etcd.cert-file":           "/etc/cert.pem",
	"etcd.key-file":            "/etc/key.pem",
	"zk.servers":               "zk1:2181,zk2:2181",
	"zk.mode":                  "ephemeral",
	"zk.session-timeout":       "4s",
	"zk.auth-file":             "/etc/zk-auth",
	"zk.leaf-name":             "leaf-1",
	"lease.ttl":                "5s",
	"worker.reserved":          "0,1",
	"socket":                   "/tmp/idcoord-test.sock",
	"socket.mode":              "0600",
	"socket.allowed-uids":      "1000,1001",
	"socket.max-conns":         "64",
	"socket.idle-timeout":      "1m0s",
	"socket.read-timeout":      "2s",
	"socket.max-request-bytes": "128",
	"max-batch":                "500",
	"segment.max-step":         "50000",
	"leaf.addr":                "127.0.0.1:8080",
	"admin.addr":               "127.0.0.1:7071",
	"admin.advertise":          "10.1.2.3:7071",
	"layout.preset":            "sonyflake",
	"layout.epoch":             "2020-01-01T00:00:00.000Z",
	"layout.time-bits":         "38",
	"layout.time-unit":         "20ms",
	"layout.datacenter-bits":   "1",
	"layout.worker-bits":       "15",
	"layout.sequence-bits":     "9",
	"datacenter.id":            "1",
	"clock.max-drift":          "2s",
	"clock.max-backward-wait":  "10ms",
	"clock.max-startup-wait":   "30s",
	"clock.large-rollback":     "wait",
	"data-dir":                 "/var/lib/idcoord",
	"log.level":                "debug",
	"log.format":               "console",
}

// TestEveryKeyFromEachSource sets every key at once from each source and
// checks that print-config reports each value and source.
func TestEveryKeyFromEachSource(t *testing.T) {
	for i := range keys {
		if _, ok := sample[keys[i].name]; !ok {
			t.Fatalf("no sample value for key %s", keys[i].name)
		}
	}
	var flags []string
	var yaml strings.Builder
	for i := range keys {
		name := keys[i].name
		flags = append(flags, "--"+name, sample[name])
		yaml.WriteString(name + ": \"" + sample[name] + "\"\n") // dotted keys written flat
	}
	file := writeFile(t, "all.yaml", yaml.String())

	check := func(t *testing.T, entries map[string]configEntry, src string) {
		t.Helper()
		for i := range keys {
			name := keys[i].name
			e := entries[name]
			got := valueText(e.Value)
			if items, ok := e.Value.([]any); ok {
				got = strings.Join(anyStrings(items), ",")
			}
			if got != sample[name] {
				t.Errorf("%s = %#v, want %q", name, e.Value, sample[name])
			}
			if e.Source != src {
				t.Errorf("%s comes from %s, want %s", name, e.Source, src)
			}
		}
	}
	t.Run("flags", func(t *testing.T) { check(t, effective(t, flags...), "flag") })
	t.Run("env", func(t *testing.T) {
		for name, v := range sample {
			t.Setenv(envName(name), v)
		}
		check(t, effective(t), "env")
	})
	t.Run("file", func(t *testing.T) { check(t, effective(t, "--config", file), "file") })
}

func anyStrings(items []any) []string {
	out := make([]string, len(items))
	for i, item := range items {
		out[i] = valueText(item)
	}
	return out
}

// TestSocketYAMLShapes checks every way the file can give socket and its
// children, which share a path in the key space.
func TestSocketYAMLShapes(t *testing.T) {
	for _, tc := range []struct {
		name, yaml string
		path, mode string
		uids       []any
	}{
		{"plain path", "socket: /a.sock\n", "/a.sock", "0660", []any{}},
		{"mapping with path", "socket:\n  path: /b.sock\n  mode: 0600\n", "/b.sock", "0600", []any{}},
		{"mapping without path", "socket:\n  mode: \"0640\"\n  allowed-uids: [1, 2]\n", "/run/idcoord/idcoord.sock", "0640", []any{1.0, 2.0}},
		{"plain path, children flat", "socket: /c.sock\nsocket.mode: 0600\nsocket.allowed-uids: 7,8\n", "/c.sock", "0600", []any{7.0, 8.0}},
		{"flat path key", "socket.path: /d.sock\n", "/d.sock", "0660", []any{}},
		{"empty group", "socket:\n", "/run/idcoord/idcoord.sock", "0660", []any{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := effective(t, "--config", writeFile(t, "s.yaml", tc.yaml))
			if e["socket"].Value != tc.path || e["socket.mode"].Value != tc.mode || !reflect.DeepEqual(e["socket.allowed-uids"].Value, tc.uids) {
				t.Errorf("socket %v, mode %v, uids %#v; want %s, %s, %v",
					e["socket"].Value, e["socket.mode"].Value, e["socket.allowed-uids"].Value, tc.path, tc.mode, tc.uids)
			}
		})
	}
}

// TestListSyntax checks that lists take comma-separated text from flags and
// env, repeated flags, and YAML lists or text from the file.
func TestListSyntax(t *testing.T) {
	want := []any{"a:1", "b:2"}
	for _, tc := range []struct {
		name string
		args []string
		env  string
	}{
		{"flag, commas", []string{"--zk.servers", "a:1,b:2"}, ""},
		{"flag, repeated", []string{"--zk.servers", "a:1", "--zk.servers", "b:2"}, ""},
		{"flag, spaces", []string{"--zk.servers", " a:1 , b:2 "}, ""},
		{"env, commas", nil, "a:1,b:2"},
		{"env, spaces and empties", nil, " a:1, ,b:2,"},
		{"file, list", []string{"--config", "LIST"}, ""},
		{"file, text", []string{"--config", "TEXT"}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.env != "" {
				t.Setenv("IDCOORD_ZK_SERVERS", tc.env)
			}
			args := slices.Clone(tc.args)
			for i, a := range args {
				switch a {
				case "LIST":
					args[i] = writeFile(t, "l.yaml", "zk:\n  servers:\n    - a:1\n    - b:2\n")
				case "TEXT":
					args[i] = writeFile(t, "t.yaml", "zk:\n  servers: a:1,b:2\n")
				}
			}
			if got := effective(t, args...)["zk.servers"].Value; !reflect.DeepEqual(got, want) {
				t.Errorf("zk.servers = %#v, want %#v", got, want)
			}
		})
	}
}

func TestKeyTable(t *testing.T) {
	// The keys of the design's config table, each exactly once.
	design := []string{"coord", "cluster", "node.name", "etcd.endpoints", "etcd.username", "etcd.password-file",
		"etcd.ca-file", "etcd.cert-file", "etcd.key-file", "zk.servers", "zk.mode", "zk.session-timeout",
		"zk.auth-file", "zk.leaf-name", "lease.ttl", "worker.reserved", "socket", "socket.mode",
		"socket.allowed-uids", "socket.max-conns", "socket.idle-timeout", "socket.read-timeout",
		"socket.max-request-bytes", "max-batch", "segment.max-step", "leaf.addr", "admin.addr", "admin.advertise", "layout.preset", "layout.epoch",
		"layout.time-bits", "layout.time-unit", "layout.datacenter-bits", "layout.worker-bits", "layout.sequence-bits",
		"datacenter.id", "clock.max-drift",
		"clock.max-backward-wait", "clock.max-startup-wait", "clock.large-rollback", "data-dir", "log.level", "log.format"}
	var names []string
	envs := map[string]string{}
	for i := range keys {
		k := &keys[i]
		names = append(names, k.name)
		if k.usage == "" || k.show == nil {
			t.Errorf("key %s lacks a usage or a show function", k.name)
		}
		if other, dup := envs[envName(k.name)]; dup {
			t.Errorf("keys %s and %s share %s", k.name, other, envName(k.name))
		}
		envs[envName(k.name)] = k.name
		for j := range keys {
			if strings.HasPrefix(keys[j].yamlPath(), k.yamlPath()+".") {
				t.Errorf("YAML path %s is a parent of %s; a mapping cannot hold both", k.yamlPath(), keys[j].yamlPath())
			}
		}
	}
	sort.Strings(names)
	sort.Strings(design)
	if !slices.Equal(names, design) {
		t.Errorf("keys %v\nwant %v", names, design)
	}
	if got := envName("etcd.password-file"); got != "IDCOORD_ETCD_PASSWORD_FILE" {
		t.Errorf("envName = %s", got)
	}

	root := newRootCommand()
	for i := range keys {
		if root.PersistentFlags().Lookup(keys[i].name) == nil {
			t.Errorf("no persistent flag --%s", keys[i].name)
		}
	}
}

// TestDefaultsAreValid builds settings from the defaults alone.
func TestDefaultsAreValid(t *testing.T) {
	e := effective(t)
	host, err := os.Hostname()
	if err != nil {
		t.Skip("no hostname:", err)
	}
	if e["node.name"].Value != host || e["node.name"].From != "hostname" {
		t.Errorf("node.name = %v from %q, want the hostname %s", e["node.name"].Value, e["node.name"].From, host)
	}
	for name, entry := range e {
		if entry.Source != "default" {
			t.Errorf("%s comes from %s with no flag, env or file", name, entry.Source)
		}
	}
}
