package zkcoord

import (
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Directory names under /idcoord/<cluster>.
const (
	workersDir   = "workers"
	highWaterDir = "hw"
	reportsDir   = "leaf_forever"
	peersDir     = "leaf_temporary"
)

// markerIdentity names the znodes that consume a WorkerID (sequence 0 and
// any reserved one) in the forever tree. It has no ':' so it can never equal
// a host:port identity, and exactly one '-' before the sequence, so Leaf's
// own parser (name.split("-")) still reads the tree.
const markerIdentity = "idcoord.reserved"

// seqDigits is the width of ZooKeeper's sequence suffix (%010d).
const seqDigits = 10

// paths are the znode paths of one Backend.
type paths struct {
	root    string // /idcoord/<cluster>
	workers string
	hw      string
	reports string
	peers   string
	leaf    string // /snowflake/<leaf.name>
	forever string // /snowflake/<leaf.name>/forever
}

func newPaths(cluster, leafName string) paths {
	root := "/idcoord/" + cluster
	leaf := "/snowflake/" + leafName
	return paths{
		root:    root,
		workers: root + "/" + workersDir,
		hw:      root + "/" + highWaterDir,
		reports: root + "/" + reportsDir,
		peers:   root + "/" + peersDir,
		leaf:    leaf,
		forever: leaf + "/forever",
	}
}

func (p paths) worker(wid int64) string    { return p.workers + "/" + strconv.FormatInt(wid, 10) }
func (p paths) highWater(wid int64) string { return p.hw + "/" + strconv.FormatInt(wid, 10) }
func (p paths) report(node string) string  { return p.reports + "/" + node }
func (p paths) peer(node string) string    { return p.peers + "/" + node }

// foreverPrefix is the path a persistent-sequential create takes for an
// identity; the server appends the sequence number.
func (p paths) foreverPrefix(identity string) string { return p.forever + "/" + identity + "-" }

// parseForeverName splits a forever child name "<identity>-<%010d>" into the
// identity and its sequence number, the WorkerID. The identity is everything
// before the last '-', so host names with dashes work.
func parseForeverName(name string) (identity string, seq int64, ok bool) {
	i := strings.LastIndexByte(name, '-')
	if i <= 0 || len(name)-i-1 != seqDigits {
		return "", 0, false
	}
	digits := name[i+1:]
	for j := 0; j < len(digits); j++ {
		if digits[j] < '0' || digits[j] > '9' {
			return "", 0, false
		}
	}
	seq, err := strconv.ParseInt(digits, 10, 64)
	if err != nil {
		return "", 0, false
	}
	return name[:i], seq, true
}

// checkName reports whether s can be one znode name: not empty, not "." or
// "..", no '/', and none of the characters ZooKeeper refuses in a path. It
// guards what ZooKeeper itself refuses, for identities (host:port, IPv6 in
// brackets) and names handed to a Backend call; the rule for the names a
// Config sets (cluster, leaf name) is coord.CheckName, which is stricter.
func checkName(kind, s string) error {
	bad := func(why string) error {
		return fmt.Errorf("%w: %s %q %s", ErrBadName, kind, s, why)
	}
	switch {
	case s == "":
		return bad("is empty")
	case s == "." || s == "..":
		return bad("is a relative path element")
	case len(s) > 255:
		return bad(fmt.Sprintf("is %d bytes long; the limit is 255", len(s)))
	case strings.Contains(s, "/"):
		return bad("contains '/'")
	case !utf8.ValidString(s):
		return bad("is not valid UTF-8")
	}
	for _, r := range s {
		if r <= 0x1f || (r >= 0x7f && r <= 0x9f) || (r >= 0xd800 && r <= 0xf8ff) || r >= 0xfff0 && r <= 0xffff {
			return bad(fmt.Sprintf("contains the character %U, which ZooKeeper refuses", r))
		}
	}
	return nil
}
