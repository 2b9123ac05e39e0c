package zkcoord

import (
	"bytes"

	gozk "github.com/go-zookeeper/zk"
)

// DefaultACL is the ACL a Backend sets on every znode it creates when
// Config.ACL is nil. For each digest credential "user:password" in auth it
// grants that identity all permissions, and it lets anyone read, so that
// operators and Leaf tooling can inspect the tree; nobody else may change,
// delete or add children to the znode. With no digest credential it is
// world:anyone with all permissions, as ZooKeeper's own default.
func DefaultACL(auth []Credential) []gozk.ACL {
	var acl []gozk.ACL
	for _, a := range auth {
		if a.Scheme != "digest" || !validDigest(a.Secret) {
			continue
		}
		user, password, _ := bytes.Cut(a.Secret, []byte(":"))
		acl = append(acl, gozk.DigestACL(gozk.PermAll, string(user), string(password))...)
	}
	if acl == nil {
		return gozk.WorldACL(gozk.PermAll)
	}
	return append(acl, gozk.WorldACL(gozk.PermRead)...)
}

// validDigest reports whether secret is "user:password" with both parts
// non-empty.
func validDigest(secret []byte) bool {
	user, password, ok := bytes.Cut(secret, []byte(":"))
	return ok && len(user) > 0 && len(password) > 0
}
