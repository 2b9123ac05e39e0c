package main

import (
	"bytes"
	"os"
	"reflect"
	"strings"
	"testing"
)

func TestPrintConfigText(t *testing.T) {
	t.Setenv("IDCOORD_ETCD_PASSWORD_FILE", "/run/secrets/pw")
	file := writeFile(t, "c.yaml", "coord: etcd\n")
	out := mustRun(t, "print-config", "--config", file, "--max-batch", "77")
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	if len(lines) != 1+len(keys) {
		t.Fatalf("got %d lines, want a header and %d keys", len(lines), len(keys))
	}
	if got := strings.Fields(lines[0]); !reflect.DeepEqual(got, []string{"KEY", "VALUE", "SOURCE"}) {
		t.Errorf("header %q", lines[0])
	}
	want := map[string]string{
		"coord":              "coord etcd file " + file,
		"etcd.password-file": "etcd.password-file /run/secrets/pw env IDCOORD_ETCD_PASSWORD_FILE",
		"max-batch":          "max-batch 77 flag --max-batch",
		"etcd.username":      `etcd.username "" default`,
		"zk.leaf-name":       "zk.leaf-name default default from cluster",
		"layout.time-bits":   "layout.time-bits 41 default from preset",
		"socket.mode":        "socket.mode 0660 default",
		"worker.reserved":    "worker.reserved 0 default",
		"etcd.endpoints":     "etcd.endpoints 127.0.0.1:2379 default",
	}
	for i, line := range lines[1:] {
		fields := strings.Join(strings.Fields(line), " ")
		if !strings.HasPrefix(fields, keys[i].name+" ") {
			t.Errorf("line %d is %q, want key %s (table order)", i+1, line, keys[i].name)
		}
		if w, ok := want[keys[i].name]; ok && fields != w {
			t.Errorf("line %q, want %q", fields, w)
		}
	}
}

// TestPrintConfigYAMLRoundTrip feeds print-config -o yaml back as --config
// and checks that it gives the same values.
func TestPrintConfigYAMLRoundTrip(t *testing.T) {
	args := []string{"--coord", "zk", "--socket", "/tmp/x.sock", "--socket.mode", "600", "--zk.servers", "a:1,b:2",
		"--socket.allowed-uids", "5", "--layout.preset", "sonyflake", "--layout.epoch", "1600000000123", "--worker.reserved", "0,9"}
	first := effective(t, args...)
	yamlOut := mustRun(t, append([]string{"print-config", "-o", "yaml"}, args...)...)
	for _, want := range []string{"coord: zk # flag --coord\n", "socket:\n  path: /tmp/x.sock # flag --socket\n",
		"  mode: \"0600\" # flag --socket.mode\n", "reserved: [0, 9] # flag --worker.reserved\n",
		"cluster: default # default\n", "leaf-name: default # default from cluster\n"} {
		if !strings.Contains(yamlOut, want) {
			t.Errorf("yaml output lacks %q:\n%s", want, yamlOut)
		}
	}
	second := effective(t, "--config", writeFile(t, "round.yaml", yamlOut))
	for name, e := range first {
		if !reflect.DeepEqual(second[name].Value, e.Value) {
			t.Errorf("%s: %#v after the round trip, want %#v", name, second[name].Value, e.Value)
		}
		if second[name].Source != "file" {
			t.Errorf("%s comes from %s, want file", name, second[name].Source)
		}
	}
}

func TestPrintConfigRedactsSecrets(t *testing.T) {
	secret := key{name: "etcd.password", secret: true, show: func(*settings) any { return "hunter2" }}
	plain := key{name: "etcd.username", show: func(s *settings) any { return s.Etcd.Username }}
	vals := []resolved{{key: &secret, raw: "hunter2", src: fromEnv, origin: "IDCOORD_ETCD_PASSWORD"}, {key: &plain, raw: "u", src: fromFlag}}
	entries := configEntries(vals, &settings{Etcd: etcdSettings{Username: "u"}})
	if entries[0].Value != redacted || entries[1].Value != "u" {
		t.Errorf("entries %+v", entries)
	}
	var buf bytes.Buffer
	if err := jsonLines(&buf, entries); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(buf.String(), "hunter2") {
		t.Errorf("secret printed: %s", buf.String())
	}
}

func TestPrintConfigNeverPrintsFileContents(t *testing.T) {
	pw := writeFile(t, "pw", "hunter2\n")
	for _, format := range []string{"text", "json", "yaml"} {
		out := mustRun(t, "print-config", "-o", format, "--etcd.password-file", pw)
		if strings.Contains(out, "hunter2") || !strings.Contains(out, pw) {
			t.Errorf("-o %s: want the path %s and not the password:\n%s", format, pw, out)
		}
	}
}

func TestPrintConfigErrors(t *testing.T) {
	wantOneLineError(t, []string{`-o "toml": want one of text, json, yaml`}, "print-config", "-o", "toml")
	wantOneLineError(t, []string{`coord "etc" (flag --coord)`}, "print-config", "--coord", "etc")
	dir := t.TempDir()
	wantOneLineError(t, []string{"config file", "is a directory"}, "print-config", "--config", dir)
	if _, err := os.Stat(dir); err != nil {
		t.Fatal(err)
	}
}
