package coord

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// DefaultCluster is the cluster a backend's Config names when it names none.
const DefaultCluster = "default"

// MaxNameBytes is the longest name CheckName accepts: the longest DNS name,
// so that any hostname or Kubernetes pod name fits as a node name. It stays
// below ZooKeeper's 255-byte znode name.
const MaxNameBytes = 253

// nameRule says in words which names CheckName accepts.
const nameRule = "must be 1 to 253 letters, digits and . _ : - that starts with a letter, digit or _"

// CheckName reports whether s can name a cluster, a node or a Leaf tree:
// one part of a store path (etcd /idcoord/<cluster>/..., the znode
// /idcoord/<cluster>/... and /snowflake/<leaf.name>/...). Such a name is 1 to
// MaxNameBytes ASCII letters, digits and '.', '_', ':', '-', and starts with
// a letter, a digit or '_'; so it is never "." or "..", holds no '/', and
// holds nothing either store refuses or a shell would mangle.
//
// The error says what is wrong and states the rule, without s itself: the
// caller names the field and its value.
func CheckName(s string) error {
	bad := func(format string, args ...any) error {
		return fmt.Errorf(format+"; it "+nameRule, args...)
	}
	switch {
	case s == "":
		return fmt.Errorf("%s", nameRule)
	case s == "." || s == "..":
		return bad("is a relative path element")
	case len(s) > MaxNameBytes:
		return bad("is %d bytes long; the limit is %d", len(s), MaxNameBytes)
	case strings.Contains(s, "/"):
		return bad("contains '/'")
	case !utf8.ValidString(s):
		return bad("is not valid UTF-8")
	}
	for i, r := range s {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '_':
		case i > 0 && (r == '.' || r == ':' || r == '-'):
		case i == 0 && (r == '.' || r == ':' || r == '-'):
			return bad("starts with %q", r)
		default:
			return bad("contains the character %U %q", r, r)
		}
	}
	return nil
}
