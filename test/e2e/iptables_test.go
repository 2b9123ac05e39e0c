package e2e

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"math/rand/v2"
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

// ruleTagPrefix starts the comment every firewall rule of these tests
// carries, so that cleanup removes exactly the rules one test added.
const ruleTagPrefix = "idcoord-e2e-"

// ruleSet adds iptables rules to the host's filter table, each tagged with
// a comment unique to the set, and removes every rule carrying that tag:
// on Remove, and through t.Cleanup even when the test fails half-way.
type ruleSet struct {
	t      *testing.T
	tag    string
	cgroup string // cgroup2 folder under the cgroup2 root, "" until used
	root   string // the cgroup2 mount point
}

// newRuleSet checks that iptables works (adding and removing a probe rule)
// and fails the test, naming the error, when it does not.
func newRuleSet(t *testing.T) *ruleSet {
	t.Helper()
	r := &ruleSet{t: t, tag: fmt.Sprintf("%s%08x", ruleTagPrefix, rand.Uint32())}
	t.Cleanup(r.cleanup)
	if err := r.add("OUTPUT", "-o", "lo", "-p", "tcp", "--dport", "1", "-j", "DROP"); err != nil {
		t.Fatalf("iptables does not work here, and the network scenarios need it (run as root with iptables installed): %v", err)
	}
	if err := r.Remove(); err != nil {
		t.Fatalf("iptables: removing the probe rule: %v", err)
	}
	return r
}

// add appends one rule to chain, tagged with the set's comment.
func (r *ruleSet) add(chain string, match ...string) error {
	args := append([]string{"-w", "-A", chain}, match...)
	args = append(args, "-m", "comment", "--comment", r.tag)
	if out, err := exec.Command("iptables", args...).CombinedOutput(); err != nil {
		return fmt.Errorf("iptables %s: %v: %s", strings.Join(args, " "), err, bytes.TrimSpace(out))
	}
	return nil
}

// Remove deletes every rule of the filter table that carries the set's tag.
func (r *ruleSet) Remove() error {
	out, err := exec.Command("iptables", "-w", "-S").Output()
	if err != nil {
		return fmt.Errorf("iptables -S: %v", err)
	}
	var errs []error
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) < 2 || f[0] != "-A" || !slices.Contains(f, r.tag) {
			continue
		}
		f[0] = "-D"
		if out, err := exec.Command("iptables", append([]string{"-w"}, f...)...).CombinedOutput(); err != nil {
			errs = append(errs, fmt.Errorf("iptables %s: %v: %s", strings.Join(f, " "), err, bytes.TrimSpace(out)))
		}
	}
	return errors.Join(errs...)
}

func (r *ruleSet) cleanup() {
	if err := r.Remove(); err != nil {
		r.t.Errorf("removing the test's iptables rules (%s): %v", r.tag, err)
	}
	if r.cgroup == "" {
		return
	}
	dir := filepath.Join(r.root, r.cgroup)
	if b, err := os.ReadFile(filepath.Join(dir, "cgroup.procs")); err == nil {
		for _, pid := range strings.Fields(string(b)) {
			os.WriteFile(filepath.Join(r.root, "cgroup.procs"), []byte(pid), 0o644) //nolint:errcheck // it may have exited
		}
	}
	if err := os.Remove(dir); err != nil && !os.IsNotExist(err) {
		r.t.Errorf("removing cgroup %s: %v", dir, err)
	}
}

// isolatePeer cuts the store member with process pid, listening for its
// peers on the ports self, off from the peer ports of the other members, in
// both directions, leaving its client port alone. Connections the others
// make to it are matched by its peer ports; the connections it makes are
// matched by the cgroup2 the process is moved into (new sockets) and by
// their ephemeral ports (the sockets it already had). It returns the number
// of rules added.
func (r *ruleSet) isolatePeer(pid int, self, others []int) (int, error) {
	root, err := cgroup2Root()
	if err != nil {
		return 0, err
	}
	r.root, r.cgroup = root, r.tag
	if err := os.Mkdir(filepath.Join(root, r.cgroup), 0o755); err != nil {
		return 0, fmt.Errorf("cgroup for the isolated member: %w", err)
	}
	if err := os.WriteFile(filepath.Join(root, r.cgroup, "cgroup.procs"), []byte(strconv.Itoa(pid)), 0o644); err != nil {
		return 0, fmt.Errorf("moving member pid %d into cgroup %s: %w", pid, r.cgroup, err)
	}
	ports := make([]string, len(others))
	for i, p := range others {
		ports[i] = strconv.Itoa(p)
	}
	var rules [][]string
	for _, p := range self {
		rules = append(rules,
			[]string{"-o", "lo", "-p", "tcp", "--dport", strconv.Itoa(p), "-j", "DROP"},
			[]string{"-o", "lo", "-p", "tcp", "--sport", strconv.Itoa(p), "-j", "DROP"})
	}
	rules = append(rules, []string{"-o", "lo", "-p", "tcp", "-m", "cgroup", "--path", r.cgroup, "-m", "multiport", "--dports", strings.Join(ports, ","), "-j", "DROP"})
	conns, err := tcpConnsOf(pid)
	if err != nil {
		return 0, err
	}
	for _, c := range conns {
		if !slices.Contains(ports, strconv.Itoa(c.remote)) {
			continue
		}
		l, p := strconv.Itoa(c.local), strconv.Itoa(c.remote)
		rules = append(rules,
			[]string{"-o", "lo", "-p", "tcp", "--sport", l, "--dport", p, "-j", "DROP"},
			[]string{"-o", "lo", "-p", "tcp", "--sport", p, "--dport", l, "-j", "DROP"})
	}
	for _, rule := range rules {
		if err := r.add("OUTPUT", rule...); err != nil {
			return 0, err
		}
	}
	return len(rules), nil
}

// tcpConn is one established loopback TCP connection of a process.
type tcpConn struct{ local, remote int }

var ssLine = regexp.MustCompile(`^\S+\s+\S+\s+127\.0\.0\.1:(\d+)\s+127\.0\.0\.1:(\d+)\s+.*pid=(\d+),`)

// tcpConnsOf lists the established loopback TCP connections of pid.
func tcpConnsOf(pid int) ([]tcpConn, error) {
	out, err := exec.Command("ss", "-tnpH", "state", "established").Output()
	if err != nil {
		return nil, fmt.Errorf("ss: %v", err)
	}
	var conns []tcpConn
	for _, line := range strings.Split(string(out), "\n") {
		m := ssLine.FindStringSubmatch(line)
		if m == nil || m[3] != strconv.Itoa(pid) {
			continue
		}
		l, _ := strconv.Atoi(m[1])
		p, _ := strconv.Atoi(m[2])
		conns = append(conns, tcpConn{local: l, remote: p})
	}
	return conns, nil
}

// cgroup2Root returns where the cgroup2 hierarchy is mounted.
func cgroup2Root() (string, error) {
	b, err := os.ReadFile("/proc/mounts")
	if err != nil {
		return "", err
	}
	for _, line := range strings.Split(string(b), "\n") {
		f := strings.Fields(line)
		if len(f) > 2 && f[2] == "cgroup2" {
			return f[1], nil
		}
	}
	return "", errors.New("no cgroup2 hierarchy is mounted; the iptables cgroup match needs one")
}

// requireNetworkTools fails the test at once, one line per missing
// prerequisite, when a network scenario cannot run here: root, the
// commands it runs, and (for the member isolation) a cgroup2 hierarchy.
func requireNetworkTools(t *testing.T, opts fleetOptions) {
	t.Helper()
	if !opts.Firewall && !opts.Netns {
		return
	}
	testproc.RequireRoot(t, "this network scenario (ip netns, iptables)")
	testproc.Require(t, "iptables", "ip", "ss")
	if opts.Firewall {
		if _, err := cgroup2Root(); err != nil {
			t.Fatalf("%v: mount one with `mount -t cgroup2 none /sys/fs/cgroup/unified` (or boot with the unified hierarchy)", err)
		}
	}
}
