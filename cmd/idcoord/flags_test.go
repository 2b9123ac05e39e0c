package main

import (
	"errors"
	"slices"
	"strings"
	"testing"
)

// badValues holds, for each value type --help can show, a value its parser
// refuses and what the refusal says. A type whose values are any text
// (names, paths) has no entry.
var badValues = map[string]struct{ value, says string }{
	"duration":  {"x", "not a duration"},
	"int":       {"x", "not an integer"},
	"time":      {"x", "neither unix milliseconds nor an RFC 3339 time"},
	"octal":     {"9", "not an octal mode"},
	"host:port": {"x", "not a host:port address"},
}

// anyText are the value types that take any text.
var anyText = []string{"", "file", "dir", "path"}

// TestFlagTypesMatchParsers checks that the type --help shows for a key is
// the one its parser reads: a value of the wrong kind is refused, from a
// flag and from the environment alike, with an error naming the key.
func TestFlagTypesMatchParsers(t *testing.T) {
	for i := range keys {
		k := &keys[i]
		if k.list {
			if k.typ != "" {
				t.Errorf("list key %s has type %q; lists show as strings", k.name, k.typ)
			}
			continue
		}
		bad, ok := badValues[k.typ]
		if !ok {
			if !slices.Contains(anyText, k.typ) {
				t.Errorf("key %s: type %q has no bad value to test its parser with", k.name, k.typ)
			}
			continue
		}
		t.Run(k.name, func(t *testing.T) {
			_, err := settingsFor(t, "--"+k.name, bad.value)
			want := k.name + ` "` + bad.value + `" (flag --` + k.name + `): ` + bad.says
			if !errors.Is(err, errBadValue) || !strings.Contains(err.Error(), want) {
				t.Errorf("--%s %s: %v, want an error holding %q", k.name, bad.value, err, want)
			}
			t.Setenv(envName(k.name), bad.value)
			_, err = settingsFor(t)
			if err == nil || !strings.Contains(err.Error(), bad.says) {
				t.Errorf("%s=%s: %v, want an error holding %q", envName(k.name), bad.value, err, bad.says)
			}
		})
	}
}

// TestHelpShowsValueTypes checks the words --help puts after each flag.
func TestHelpShowsValueTypes(t *testing.T) {
	out := mustRun(t, "--help")
	for _, want := range []string{
		"--lease.ttl duration ", "--zk.session-timeout duration ", "--clock.max-backward-wait duration ",
		"--max-batch int ", "--layout.time-bits int ", "--socket.mode octal ", "--layout.epoch time ",
		"--admin.addr host:port ", "--etcd.endpoints strings ", "--worker.reserved strings ",
		"--etcd.ca-file file ", "--config file ", "--cluster string ",
		"(default 10s)", "(default 10000)", `(default "default")`,
	} {
		if !strings.Contains(out, want) {
			t.Errorf("--help does not hold %q", want)
		}
	}
	if t.Failed() {
		t.Logf("--help:\n%s", out)
	}
}
