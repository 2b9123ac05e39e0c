package main

import "github.com/spf13/cobra"

// newLeaseCommand is the parent of the commands that inspect and revoke
// WorkerId holdings.
func newLeaseCommand(cfg *config) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "lease",
		Short: "Inspect and revoke WorkerId holdings in the store",
		Long: `The lease commands read the store named by coord: etcd.endpoints for etcd,
zk.servers for ZooKeeper, and etcd.endpoints for embedded too, where they
connect as clients to the etcd that idcoord serve runs (they never start one).
Each takes -o table (the default), json or yaml.`,
		Args: cobra.NoArgs,
	}
	cmd.AddCommand(
		newLeaseListCommand(cfg),
		newLeaseShowCommand(cfg),
		newLeaseRevokeCommand(cfg),
	)
	return cmd
}
