package main

import (
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

func TestUnknownEnvWarnings(t *testing.T) {
	for _, tc := range []struct {
		name    string
		environ []string
		want    []string
	}{
		{"keys and other variables", []string{"IDCOORD_LEASE_TTL=5s", "IDCOORD_CLUSTER=", "HOME=/root", "XIDCOORD_X=1"}, nil},
		{"variables that are not keys but are read", []string{"IDCOORD_FAULTCLOCK_OFFSET=-20s", "IDCOORD_E2E_LONG=1", "IDCOORD_E2E_SEEDS=3"}, nil},
		{"a transposed pair", []string{"IDCOORD_LEASE_TLL=5s"},
			[]string{"warning: IDCOORD_LEASE_TLL is not a config key; did you mean IDCOORD_LEASE_TTL (lease.ttl)?"}},
		{"a letter missing", []string{"IDCOORD_ZK_SERVER=a:1"},
			[]string{"warning: IDCOORD_ZK_SERVER is not a config key; did you mean IDCOORD_ZK_SERVERS (zk.servers)?"}},
		{"lower case", []string{"IDCOORD_max_batch=5"},
			[]string{"warning: IDCOORD_max_batch is not a config key; did you mean IDCOORD_MAX_BATCH (max-batch)?"}},
		{"a dash kept", []string{"IDCOORD_DATA-DIR=/d"},
			[]string{"warning: IDCOORD_DATA-DIR is not a config key; did you mean IDCOORD_DATA_DIR (data-dir)?"}},
		{"the password itself", []string{"IDCOORD_ETCD_PASSWORD=x"},
			[]string{"warning: IDCOORD_ETCD_PASSWORD is not a config key; did you mean IDCOORD_ETCD_PASSWORD_FILE (etcd.password-file)?"}},
		{"the socket path as in YAML", []string{"IDCOORD_SOCKET_PATH=/s"},
			[]string{"warning: IDCOORD_SOCKET_PATH is not a config key; did you mean IDCOORD_SOCKET (socket)?"}},
		{"nothing close", []string{"IDCOORD_VERBOSE=1"},
			[]string{"warning: IDCOORD_VERBOSE is not a config key and is ignored; idcoord print-config lists the keys"}},
		{"empty still warned, sorted, once each", []string{"IDCOORD_ZZZ=", "IDCOORD_LOGLEVEL=debug", "IDCOORD_ZZZ=1"},
			[]string{
				"warning: IDCOORD_LOGLEVEL is not a config key; did you mean IDCOORD_LOG_LEVEL (log.level)?",
				"warning: IDCOORD_ZZZ is not a config key and is ignored; idcoord print-config lists the keys",
			}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := unknownEnvWarnings(tc.environ)
			if !slices.Equal(got, tc.want) {
				t.Errorf("got %q\nwant %q", got, tc.want)
			}
		})
	}
}

func TestEditDistance(t *testing.T) {
	for _, tc := range []struct {
		a, b string
		want int
	}{
		{"", "", 0}, {"TTL", "TTL", 0}, {"", "ABC", 3}, {"TLL", "TTL", 1},
		{"AB", "BA", 1}, {"LEASE_TTL", "LAESE_TTL", 1}, {"KITTEN", "SITTING", 3},
	} {
		if got := editDistance(tc.a, tc.b); got != tc.want {
			t.Errorf("editDistance(%q, %q) = %d, want %d", tc.a, tc.b, got, tc.want)
		}
		if got := editDistance(tc.b, tc.a); got != tc.want {
			t.Errorf("editDistance(%q, %q) = %d, want %d", tc.b, tc.a, got, tc.want)
		}
	}
}

// TestUnknownEnvThroughCLI: the warning comes on stderr, once, before the
// command runs as it would without the variable.
func TestUnknownEnvThroughCLI(t *testing.T) {
	t.Setenv("IDCOORD_LAYOUT_PRESTE", "sonyflake")
	stdout, stderr, code := runCLI(t, "decode", "1")
	want := "warning: IDCOORD_LAYOUT_PRESTE is not a config key; did you mean IDCOORD_LAYOUT_PRESET (layout.preset)?\n"
	if code != 0 || stderr != want {
		t.Fatalf("exit %d, stderr %q; want 0 and %q", code, stderr, want)
	}
	if !strings.Contains(stdout, "worker_id=0 sequence=1") {
		t.Errorf("decode printed %q", stdout)
	}
}

// envLiteral matches an IDCOORD_ variable named in Go source.
var envLiteral = regexp.MustCompile(`"(IDCOORD_[A-Z0-9_]+)`)

// TestEnvNotKeysCoverTheCode finds every IDCOORD_ variable that the program
// and the end-to-end tests (which pass their environment to the idcoord
// processes they start) name, and checks that each is a key's or is left
// out of the warnings by envNotKeys.
func TestEnvNotKeysCoverTheCode(t *testing.T) {
	root := filepath.Join("..", "..")
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == ".git" || d.Name() == "testdata") {
			return filepath.SkipDir
		}
		e2e := strings.HasPrefix(filepath.ToSlash(path), "../../test/e2e/")
		if d.IsDir() || !strings.HasSuffix(path, ".go") || (strings.HasSuffix(path, "_test.go") && !e2e) {
			return nil
		}
		src, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		for _, m := range envLiteral.FindAllStringSubmatch(string(src), -1) {
			if w := unknownEnvWarnings([]string{m[1] + "=x"}); len(w) > 0 {
				t.Errorf("%s reads %s, which is neither a key's variable nor in envNotKeys: %s", path, m[1], w[0])
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
