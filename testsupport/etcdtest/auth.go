package etcdtest

import (
	"context"
	"fmt"

	clientv3 "go.etcd.io/etcd/client/v3"
)

// AddClusterUser gives cluster its own etcd role and user, as
// configs/k8s/etcd-rbac.sh does: role and user "idcoord-<cluster>", with
// read and write on the prefix "/idcoord/<cluster>/" and nothing else. cli
// must be allowed to manage users: before EnableAuth, any client; after it,
// root.
func AddClusterUser(ctx context.Context, cli *clientv3.Client, cluster, password string) error {
	name := "idcoord-" + cluster
	prefix := "/idcoord/" + cluster + "/"
	if _, err := cli.RoleAdd(ctx, name); err != nil {
		return fmt.Errorf("etcdtest: role add %s: %w", name, err)
	}
	if _, err := cli.RoleGrantPermission(ctx, name, prefix, clientv3.GetPrefixRangeEnd(prefix),
		clientv3.PermissionType(clientv3.PermReadWrite)); err != nil {
		return fmt.Errorf("etcdtest: grant %s readwrite on %s: %w", name, prefix, err)
	}
	if _, err := cli.UserAdd(ctx, name, password); err != nil {
		return fmt.Errorf("etcdtest: user add %s: %w", name, err)
	}
	if _, err := cli.UserGrantRole(ctx, name, name); err != nil {
		return fmt.Errorf("etcdtest: grant role %s to user %s: %w", name, name, err)
	}
	return nil
}

// EnableAuth adds the root user with rootPassword and the root role, then
// turns authentication on. From then on only authenticated requests (a user
// and password, or a client certificate whose common name is a user) get
// through.
func EnableAuth(ctx context.Context, cli *clientv3.Client, rootPassword string) error {
	if _, err := cli.UserAdd(ctx, "root", rootPassword); err != nil {
		return fmt.Errorf("etcdtest: user add root: %w", err)
	}
	if _, err := cli.UserGrantRole(ctx, "root", "root"); err != nil {
		return fmt.Errorf("etcdtest: grant role root: %w", err)
	}
	if _, err := cli.AuthEnable(ctx); err != nil {
		return fmt.Errorf("etcdtest: auth enable: %w", err)
	}
	return nil
}
