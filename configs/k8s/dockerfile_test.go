package k8s_test

import (
	"bytes"
	"debug/elf"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/idcoord/idcoord/testsupport/testproc"
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
// dropped; a line ending in a backslash continues on the next. An ARG in a
// stage without a default takes the one an ARG before the first FROM gives,
// as docker does.
func parseDockerfile(text string) ([]stage, error) {
	var stages []stage
	var pending strings.Builder
	globals := map[string]string{}
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
				name, def, _ := strings.Cut(in.args, "=")
				globals[name] = def
				continue
			}
			return nil, fmt.Errorf("line %d: %s before the first FROM", start, in.cmd)
		}
		if def, ok := globals[in.args]; in.cmd == "ARG" && ok {
			in.args += "=" + def
		}
		stages[len(stages)-1].body = append(stages[len(stages)-1].body, in)
	}
	return stages, nil
}

// dockerfileStages reads and parses the Dockerfile.
func dockerfileStages(t *testing.T) []stage {
	t.Helper()
	data, err := os.ReadFile(dockerfilePath)
	if err != nil {
		t.Fatal(err)
	}
	stages, err := parseDockerfile(string(data))
	if err != nil {
		t.Fatalf("%s: %v", dockerfilePath, err)
	}
	return stages
}

// goBuild finds the go build command in a RUN of st: its environment
// assignments and its arguments, with ${ARG}s replaced by the value
// buildArgs gives (docker build --build-arg), else by their defaults.
func goBuild(st stage, buildArgs map[string]string) (env, args []string, ok bool) {
	defaults := map[string]string{}
	for _, in := range st.body {
		if in.cmd == "ARG" {
			name, def, _ := strings.Cut(in.args, "=")
			defaults[name] = def
			if v, ok := buildArgs[name]; ok {
				defaults[name] = v
			}
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

// TestDockerfile checks the shape of the image build: a builder stage on
// the Go release go.mod names that builds ./cmd/idcoord static
// (CGO_ENABLED=0, -trimpath, stripped) without the faultclock tag, and a
// minimal final stage, pinned to a version, that runs that binary as a
// non-root user.
func TestDockerfile(t *testing.T) {
	stages := dockerfileStages(t)
	if len(stages) < 2 {
		t.Fatalf("%d stage(s); want a builder stage and a runtime stage", len(stages))
	}
	build, final := stages[0], stages[len(stages)-1]
	goVersion := goModVersion(t)
	if _, tag := splitImage(build.image); !strings.HasPrefix(build.image, "golang:") || (tag != goVersion && !strings.HasPrefix(tag, goVersion+"-")) || build.name == "" {
		t.Errorf("first stage FROM %s AS %q; want golang:%s or golang:%s-<variant> (the Go release go.mod names) with a name", build.image, build.name, goVersion, goVersion)
	}
	if !strings.HasPrefix(final.image, "gcr.io/distroless/static") && final.image != "scratch" {
		t.Errorf("runtime stage FROM %s; want gcr.io/distroless/static or scratch", final.image)
	}
	for _, st := range stages {
		if err := imagePinned(st.image); err != nil {
			t.Errorf("FROM %s: %v", st.image, err)
		}
	}

	env, args, ok := goBuild(build, nil)
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
// here, into a temporary folder, with build args as docker build
// --build-arg gives them, and checks that the binary is static (no ELF
// interpreter, no dynamic section), runs, and reports that version and
// commit. Docker need not be here: the command is the Dockerfile's.
//
// The build has no timeout of its own: it may take what go test -timeout
// leaves the test, and is stopped just before, so that its output is
// reported. Its flags (-trimpath, CGO_ENABLED=0) differ from the test
// builds', so a cold build cache compiles every dependency once; later runs
// take them from the cache.
func TestDockerfileBuildIsStatic(t *testing.T) {
	if testing.Short() {
		t.Skip("builds idcoord with -trimpath and CGO_ENABLED=0: every dependency on a cold build cache")
	}
	stages := dockerfileStages(t)
	if len(stages) == 0 {
		t.Fatal("the Dockerfile has no stage")
	}
	buildArgs := map[string]string{"VERSION": "v9.8.7-test", "COMMIT": "0123abc"}
	env, args, ok := goBuild(stages[0], buildArgs)
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
	cmd := testproc.CommandUntilDeadline(t, goTool, append([]string{"build"}, args...)...)
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
	run := testproc.CommandUntilDeadline(t, bin, "version", "-o", "json")
	run.Stdout = &out
	if err := run.Run(); err != nil {
		t.Fatalf("%s version: %v", bin, err)
	}
	var got struct{ Version, Commit string }
	if err := json.Unmarshal(out.Bytes(), &got); err != nil {
		t.Fatalf("version -o json printed %q: %v", &out, err)
	}
	if got.Version != buildArgs["VERSION"] || got.Commit != buildArgs["COMMIT"] {
		t.Errorf("version prints version %q, commit %q; want the build args VERSION=%s and COMMIT=%s", got.Version, got.Commit, buildArgs["VERSION"], buildArgs["COMMIT"])
	}
}

// TestDockerBuildDocumented checks that every docker build command the
// Dockerfile's comment and the READMEs show passes each ARG the Dockerfile
// declares, VERSION and COMMIT: the build context leaves .git out, so
// without them the image cannot tell its version.
func TestDockerBuildDocumented(t *testing.T) {
	stages := dockerfileStages(t)
	var declared []string
	for _, st := range stages {
		for _, in := range st.body {
			if name, _, _ := strings.Cut(in.args, "="); in.cmd == "ARG" && !slices.Contains(declared, name) {
				declared = append(declared, name)
			}
		}
	}
	for _, name := range []string{"VERSION", "COMMIT"} {
		if !slices.Contains(declared, name) {
			t.Errorf("the Dockerfile declares no ARG %s", name)
		}
	}
	docs := []struct {
		path string
		must bool // must show a docker build command
	}{
		{dockerfilePath, true},
		{"../../README.md", false},
		{"README.md", false},
	}
	for _, doc := range docs {
		text, err := os.ReadFile(doc.path)
		if err != nil {
			t.Fatal(err)
		}
		cmds := dockerBuilds(string(text), doc.path == dockerfilePath)
		if doc.must && len(cmds) == 0 {
			t.Errorf("%s shows no docker build command", doc.path)
		}
		for _, cmd := range cmds {
			passed := map[string]bool{}
			words := shellWords(cmd)
			for i, w := range words {
				switch {
				case w == "--build-arg" && i+1 < len(words):
					name, _, _ := strings.Cut(words[i+1], "=")
					passed[name] = true
				case strings.HasPrefix(w, "--build-arg="):
					name, _, _ := strings.Cut(strings.TrimPrefix(w, "--build-arg="), "=")
					passed[name] = true
				}
			}
			for _, name := range declared {
				if !passed[name] {
					t.Errorf("%s: %q does not pass --build-arg %s=...", doc.path, cmd, name)
				}
			}
		}
	}
}

// dockerBuilds returns the docker build commands in text, continuation
// lines joined; with comments set, they are read from # comment lines.
func dockerBuilds(text string, comments bool) []string {
	var cmds []string
	var pending strings.Builder
	for line := range strings.Lines(text) {
		line = strings.TrimSpace(line)
		if comments {
			var ok bool
			if line, ok = strings.CutPrefix(line, "#"); !ok {
				pending.Reset()
				continue
			}
			line = strings.TrimSpace(line)
		}
		if body, ok := strings.CutSuffix(line, `\`); ok {
			pending.WriteString(body + " ")
			continue
		}
		pending.WriteString(line)
		full := strings.Join(strings.Fields(pending.String()), " ")
		pending.Reset()
		if i := strings.Index(full, "docker build "); i >= 0 {
			cmds = append(cmds, full[i:])
		}
	}
	return cmds
}

// goModVersion returns the Go release go.mod asks for: its toolchain line
// if it has one, else its go line.
func goModVersion(t *testing.T) string {
	t.Helper()
	data, err := os.ReadFile("../../go.mod")
	if err != nil {
		t.Fatal(err)
	}
	var goLine, toolchain string
	for line := range strings.Lines(string(data)) {
		f := strings.Fields(line)
		switch {
		case len(f) == 2 && f[0] == "go":
			goLine = f[1]
		case len(f) == 2 && f[0] == "toolchain":
			toolchain = strings.TrimPrefix(f[1], "go")
		}
	}
	if toolchain != "" {
		return toolchain
	}
	if goLine == "" {
		t.Fatal("go.mod has no go line")
	}
	return goLine
}

// splitImage splits an image reference into its name and its tag ("" when
// it has none); a digest stays on the tag.
func splitImage(ref string) (name, tag string) {
	i := strings.LastIndexByte(ref, ':')
	if i < 0 || i < strings.LastIndexByte(ref, '/') {
		return ref, ""
	}
	if at := strings.IndexByte(ref, '@'); at >= 0 && at < i {
		// name@sha256:...: the colon is the digest's
		if j := strings.LastIndexByte(ref[:at], ':'); j > strings.LastIndexByte(ref[:at], '/') {
			return ref[:j], ref[j+1:]
		}
		return ref[:at], ref[at:]
	}
	return ref[:i], ref[i+1:]
}

// versionTag matches a tag that names one release: major.minor.patch
// (1.26.8-bookworm, v1.4.2), or a build date (bookworm-20250811-slim).
var versionTag = regexp.MustCompile(`^v?[0-9]+\.[0-9]+\.[0-9]+|(^|-)20[0-9]{6}(-|$)`)

// distrolessRelease matches a distroless image named for its Debian release.
var distrolessRelease = regexp.MustCompile(`^gcr\.io/distroless/[a-z0-9-]+-debian[0-9]+$`)

// imagePinned says why ref is not pinned to one version, or nil. A digest
// pins it; otherwise its tag must name one release (versionTag): never
// latest, nor a tag that moves with patch releases (golang:1.26) or with a
// codename (debian:bookworm).
// Distroless publishes no version tags: an image named for its Debian
// release (static-debian12) is pinned to that release, and its tag (nonroot)
// picks the variant.
func imagePinned(ref string) error {
	name, tag := splitImage(ref)
	switch {
	case ref == "scratch":
		return nil // the empty image, no version to pin
	case strings.Contains(ref, "@sha256:"):
		return nil
	case tag == "":
		return errors.New("no tag: it means latest")
	case tag == "latest":
		return errors.New("the latest tag moves with every release")
	case versionTag.MatchString(tag):
		return nil
	case distrolessRelease.MatchString(name):
		return nil
	}
	return fmt.Errorf("tag %q moves from release to release (want major.minor.patch, a build date, or a digest)", tag)
}

func TestImagePinned(t *testing.T) {
	tests := []struct {
		ref    string
		pinned bool
	}{
		{"golang:1.26.8-bookworm", true},
		{"golang:1.26.8", true},
		{"registry.example.com:5000/idcoord:v1.4.2", true},
		{"gcr.io/distroless/static-debian12:nonroot", true},
		{"gcr.io/distroless/static:nonroot@sha256:0123", true},
		{"scratch", true},
		{"debian:bookworm-20250811-slim", true},
		{"golang:1.26", false},
		{"golang:1.26-bookworm", false},
		{"golang:1", false},
		{"golang", false},
		{"golang:latest", false},
		{"debian:bookworm", false},
		{"gcr.io/distroless/static:nonroot", false},
		{"registry.example.com:5000/idcoord", false},
		{"registry.example.com/orders:latest", false},
	}
	for _, tc := range tests {
		if err := imagePinned(tc.ref); (err == nil) != tc.pinned {
			t.Errorf("imagePinned(%q) = %v; want pinned %v", tc.ref, err, tc.pinned)
		}
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
