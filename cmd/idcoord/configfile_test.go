package main

import (
	"reflect"
	"strings"
	"testing"
)

func TestParseConfigFile(t *testing.T) {
	for _, tc := range []struct {
		name, yaml string
		want       map[string]any
	}{
		{"empty", "", map[string]any{}},
		{"comment only", "# nothing\n", map[string]any{}},
		{"null document", "~\n", map[string]any{}},
		{"nested", "etcd:\n  endpoints: [a:1, b:2]\n  username: u\n",
			map[string]any{"etcd.endpoints": []string{"a:1", "b:2"}, "etcd.username": "u"}},
		{"flat dotted key", "etcd.username: u\n", map[string]any{"etcd.username": "u"}},
		{"text kept as written", "socket:\n  mode: 0660\nmax-batch: 0x10\n",
			map[string]any{"socket.mode": "0660", "max-batch": "0x10"}},
		{"list given as text", "zk:\n  servers: a:1,b:2\n", map[string]any{"zk.servers": "a:1,b:2"}},
		{"nulls left out", "cluster: ~\netcd:\n  username: null\n  ca-file:\n", map[string]any{}},
		{"keys are case-insensitive", "Cluster: c\nETCD:\n  UserName: u\n",
			map[string]any{"cluster": "c", "etcd.username": "u"}},
		{"socket path plain", "socket: /s\n", map[string]any{"socket": "/s"}},
		{"socket path in mapping", "socket:\n  path: /s\n  mode: '0600'\n",
			map[string]any{"socket": "/s", "socket.mode": "0600"}},
		{"anchors and aliases", "cluster: &c prod\nzk:\n  leaf-name: *c\n",
			map[string]any{"cluster": "prod", "zk.leaf-name": "prod"}},
		{"empty list", "socket:\n  allowed-uids: []\n", map[string]any{"socket.allowed-uids": []string{}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := parseConfigFile([]byte(tc.yaml))
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("got %#v, want %#v", got, tc.want)
			}
		})
	}
}

func TestParseConfigFileErrors(t *testing.T) {
	for _, tc := range []struct {
		name, yaml, want string
	}{
		{"unknown top key", "clustr: x\n", `line 1: unknown key "clustr"`},
		{"unknown nested key", "etcd:\n  endpoint: x\n", `line 2: unknown key "etcd.endpoint"`},
		{"unknown key as written", "Etcd:\n  EndPoint: x\n", `line 2: unknown key "Etcd.EndPoint"`},
		{"unknown flat key as written", "Lease.TLL: 10s\n", `line 1: unknown key "Lease.TLL"`},
		{"group given a value", "etcd: x\n", "line 1: etcd is a group of keys"},
		{"group given a list", "layout: [a]\n", "line 1: layout is a group of keys"},
		{"list for a single value", "cluster: [a, b]\n", "line 1: cluster takes one value, not a list"},
		{"mapping for a value", "coord:\n  x: 1\n", "line 2: coord takes a value, not a mapping"},
		{"mapping in a list", "zk:\n  servers: [{a: 1}]\n", "zk.servers items must be plain values"},
		{"set twice, flat and nested", "etcd.username: a\netcd:\n  username: b\n", "etcd.username is set twice"},
		{"socket set twice", "socket: /a\nsocket.path: /b\n", "socket is set twice"},
		{"top is a list", "- a\n", "want a mapping of keys at the top"},
		{"top is text", "hello\n", "want a mapping of keys at the top"},
		{"bad yaml", "a: [\n", "yaml:"},
		{"mapping key", "? [a]\n: b\n", "a key must be plain text"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := parseConfigFile([]byte(tc.yaml))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err %v, want one holding %q", err, tc.want)
			}
			if strings.Contains(err.Error(), "\n") {
				t.Errorf("err %q spans lines", err)
			}
		})
	}
}

// TestConfigFileErrorsThroughCLI checks that file problems reach the user as
// one line naming the file.
func TestConfigFileErrorsThroughCLI(t *testing.T) {
	bad := writeFile(t, "bad.yaml", "etcd:\n  endpoint: x\n")
	wantOneLineError(t, []string{"config file " + bad, `line 2: unknown key "etcd.endpoint"`}, "print-config", "--config", bad)
	wantOneLineError(t, []string{"config file: open /nonexistent/idcoord.yaml"}, "decode", "--config", "/nonexistent/idcoord.yaml", "1")
	multi := writeFile(t, "multi.yaml", "a: b: c\n")
	wantOneLineError(t, []string{"config file " + multi, "yaml:"}, "layouts", "--config", multi)
}

func FuzzParseConfigFile(f *testing.F) {
	for _, seed := range []string{
		"", "cluster: c\n", "etcd:\n  endpoints: [a, b]\n", "socket: /s\nsocket.mode: 0600\n",
		"socket:\n  path: /s\n  allowed-uids: [1]\n", "a: &x {b: *x}\n", "layout: {epoch: 0, time-bits: 41}\n",
		"- 1\n", "x: [\n", "zk: &z\n  servers: [a]\nlayout: *z\n",
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		vals, err := parseConfigFile(data)
		if err != nil {
			if strings.Contains(err.Error(), "\n") {
				t.Errorf("error %q spans lines", err)
			}
			return
		}
		for name, v := range vals {
			k := lookupKey(name)
			if k == nil {
				t.Fatalf("unknown key %q accepted", name)
			}
			switch v.(type) {
			case string:
			case []string:
				if !k.list {
					t.Errorf("single-value key %s got a list", name)
				}
			default:
				t.Errorf("key %s holds a %T", name, v)
			}
		}
	})
}
