package main

import (
	"bytes"
	"context"
	"debug/elf"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// dockerfilePath is the image build at the repository root.
const dockerfilePath = "../../Dockerfile"

// instruction is one Dockerfile instruction, continuation lines joined.
type instruction struct {
	line int
	cmd  string // upper-cased: FROM, RUN, USER, ...
	args string
}

// stage is one FROM and the instructions under it.
type stage struct {
	image, name string
	body        []instruction
}

// parseDockerfile splits a Dockerfile into stages. Comment lines are
// dropped; a line ending in a backslash continues on the next.
func parseDockerfile(text string) ([]stage, error) {
	var stages []stage
	var pending strings.Builder
	start := 0
	for i, line := range strings.Split(text, "\n") {
		trimmed := strings.TrimSpace(line)
		if strings.HasPrefix(trimmed, "#") || (trimmed == "" && pending.Len() == 0) {
			continue
		}
		if pending.Len() == 0 {
			start = i + 1
		}
		if body, ok := strings.CutSuffix(trimmed, `\`); ok {
			pending.WriteString(body + " ")
			continue
		}
		pending.WriteString(trimmed)
		full := pending.String()
		pending.Reset()
		cmd, args, _ := strings.Cut(full, " ")
		in := instruction{line: start, cmd: strings.ToUpper(cmd), args: strings.TrimSpace(args)}
		if in.cmd == "FROM" {
			f := strings.Fields(in.args)
			st := stage{image: f[0]}
			if len(f) == 3 && strings.EqualFold(f[1], "AS") {
				st.name = f[2]
			}
			stages = append(stages, st)
			continue
		}
		if len(stages) == 0 {
			if in.cmd == "ARG" {
				continue // an ARG before the first FROM
			}
			return nil, fmt.Errorf("line %d: %s before the first FROM", start, in.cmd)
		}
		stages[len(stages)-1].body = append(stages[len(stages)-1].body, in)
	}
	return stages, nil
}

// goBuild finds the go build command in a RUN of st: its environment
// assignments and its arguments, with ${ARG}s replaced by their defaults.
func goBuild(st stage) (env, args []string, ok bool) {
	defaults := map[string]string{}
	for _, in := range st.body {
		if in.cmd == "ARG" {
			name, def, _ := strings.Cut(in.args, "=")
			defaults[name] = def
		}
	}
	for _, in := range st.body {
		if in.cmd != "RUN" {
			continue
		}
		for cmd := range strings.SplitSeq(in.args, "&&") {
			words := shellWords(os.Expand(cmd, func(name string) string { return defaults[name] }))
			i := 0
			for i < len(words) && strings.Contains(words[i], "=") && !strings.HasPrefix(words[i], "-") {
				i++
			}
			if len(words) > i+1 && words[i] == "go" && words[i+1] == "build" {
				return words[:i], words[i+2:], true
			}
		}
	}
	return nil, nil, false
}

// shellWords splits a command line into words, honouring double and single
// quotes (enough for a Dockerfile's RUN line).
func shellWords(s string) []string {
	var words []string
	var w strings.Builder
	inWord := false
	var quote byte
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case quote != 0 && c == quote:
			quote = 0
		case quote != 0:
			w.WriteByte(c)
		case c == '"' || c == '\'':
			quote, inWord = c, true
		case c == ' ' || c == '\t':
			if inWord {
				words = append(words, w.String())
				w.Reset()
				inWord = false
			}
		default:
			w.WriteByte(c)
			inWord = true
		}
	}
	if inWord {
		words = append(words, w.String())
	}
	return words
}

// TestDockerfile checks the shape of the image build: a Go 1.26 builder
// stage that builds ./cmd/idcoord static (CGO_ENABLED=0, -trimpath, stripped)
// without the faultclock tag, and a minimal final stage that runs that
// binary as a non-root user.
func TestDockerfile(t *testing.T) {
	data, err := os.ReadFile(dockerfilePath)
	if err != nil {
		t.Fatal(err)
	}
	stages, err := parseDockerfile(string(data))
	if err != nil {
		t.Fatal(err)
	}
	if len(stages) < 2 {
		t.Fatalf("%d stage(s); want a builder stage and a runtime stage", len(stages))
	}
	build, final := stages[0], stages[len(stages)-1]
	if !strings.HasPrefix(build.image, "golang:1.26") || build.name == "" {
		t.Errorf("first stage FROM %s AS %q; want golang:1.26 with a name", build.image, build.name)
	}
	if !strings.HasPrefix(final.image, "gcr.io/distroless/static") && final.image != "scratch" {
		t.Errorf("runtime stage FROM %s; want gcr.io/distroless/static or scratch", final.image)
	}

	env, args, ok := goBuild(build)
	if !ok {
		t.Fatal("the builder stage runs no go build")
	}
	if !slices.Contains(env, "CGO_ENABLED=0") {
		t.Errorf("go build runs with %v; want CGO_ENABLED=0 for a static binary", env)
	}
	if !slices.Contains(args, "-trimpath") {
		t.Errorf("go build %v lacks -trimpath", args)
	}
	if i := slices.Index(args, "-ldflags"); i < 0 || i+1 >= len(args) || !slices.Contains(strings.Fields(args[i+1]), "-s") || !slices.Contains(strings.Fields(args[i+1]), "-w") {
		t.Errorf("go build %v does not strip the binary (-ldflags \"-s -w\")", args)
	}
	if args[len(args)-1] != "./cmd/idcoord" {
		t.Errorf("go build builds %s, want ./cmd/idcoord", args[len(args)-1])
	}
	for _, st := range stages {
		for _, in := range st.body {
			if strings.Contains(in.args, "faultclock") || strings.Contains(in.args, "-tags") {
				t.Errorf("line %d: %s %s: the image must not be built with build tags (faultclock lets anyone move the clock)", in.line, in.cmd, in.args)
			}
		}
	}

	var user, entrypoint string
	var copied []string
	for _, in := range final.body {
		switch in.cmd {
		case "USER":
			user = in.args
		case "ENTRYPOINT":
			entrypoint = in.args
		case "COPY":
			if strings.Contains(in.args, "--from="+build.name) {
				copied = append(copied, in.args)
			}
		}
	}
	uid, _, _ := strings.Cut(user, ":")
	if n, err := strconv.Atoi(uid); err != nil || n == 0 {
		t.Errorf("runtime USER %q; want a numeric non-root uid, so that runAsNonRoot can verify it", user)
	}
	if len(copied) == 0 {
		t.Errorf("the runtime stage copies nothing from the %s stage", build.name)
	}
	if !regexp.MustCompile(`^\["/idcoord"`).MatchString(entrypoint) {
		t.Errorf("ENTRYPOINT %s; want the exec form running /idcoord", entrypoint)
	}
}

// TestDockerfileBuildIsStatic runs the Dockerfile's own go build command
// here, into a temporary folder, and checks that the binary is static (no
// ELF interpreter, no dynamic section) and runs.
func TestDockerfileBuildIsStatic(t *testing.T) {
	if testing.Short() {
		t.Skip("builds idcoord with -trimpath: about a minute on a cold build cache")
	}
	data, err := os.ReadFile(dockerfilePath)
	if err != nil {
		t.Fatal(err)
	}
	stages, err := parseDockerfile(string(data))
	if err != nil || len(stages) == 0 {
		t.Fatalf("parse: %v (%d stages)", err, len(stages))
	}
	env, args, ok := goBuild(stages[0])
	if !ok {
		t.Fatal("the builder stage runs no go build")
	}
	bin := filepath.Join(t.TempDir(), "idcoord")
	i := slices.Index(args, "-o")
	if i < 0 || i+1 >= len(args) {
		t.Fatalf("go build %v has no -o", args)
	}
	args = slices.Clone(args)
	args[i+1] = bin
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Fatalf("the go command is not on PATH: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, goTool, append([]string{"build"}, args...)...)
	cmd.Dir = "../.."
	cmd.Env = append(os.Environ(), env...)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("%v go build %s: %v\n%s", env, strings.Join(args, " "), err, out)
	}

	f, err := elf.Open(bin)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP || p.Type == elf.PT_DYNAMIC {
			t.Errorf("the binary has a %s program header: it is dynamically linked", p.Type)
		}
	}
	if libs, err := f.ImportedLibraries(); err != nil || len(libs) > 0 {
		t.Errorf("the binary imports %v (%v); want none", libs, err)
	}
	if f.Section(".symtab") != nil {
		t.Error("the binary has a symbol table; -ldflags -s should strip it")
	}

	var out bytes.Buffer
	run := exec.CommandContext(ctx, bin, "version", "-o", "json")
	run.Stdout = &out
	if err := run.Run(); err != nil {
		t.Fatalf("%s version: %v", bin, err)
	}
	if !strings.Contains(out.String(), `"version":"dev"`) {
		t.Errorf("version prints %s; want the Dockerfile's default VERSION, dev", &out)
	}
}

func TestShellWords(t *testing.T) {
	tests := []struct {
		in   string
		want []string
	}{
		{`CGO_ENABLED=0 go build -ldflags "-s -w -X main.version=dev" ./cmd/idcoord`,
			[]string{"CGO_ENABLED=0", "go", "build", "-ldflags", "-s -w -X main.version=dev", "./cmd/idcoord"}},
		{`  a  'b c'  "" d`, []string{"a", "b c", "", "d"}},
		{``, nil},
	}
	for _, tc := range tests {
		if got := shellWords(tc.in); !slices.Equal(got, tc.want) {
			t.Errorf("shellWords(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}
