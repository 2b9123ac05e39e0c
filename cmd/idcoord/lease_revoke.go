package main

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/idcoord/idcoord/coord"
)

// leaseRevoke is the JSON and YAML document of lease revoke.
type leaseRevoke struct {
	WorkerID int64  `json:"worker_id" yaml:"worker_id"`
	Node     string `json:"node" yaml:"node"`
	// Revoked is false when --yes was not given: nothing was done.
	Revoked bool `json:"revoked" yaml:"revoked"`
	// Stuck is true when the holder record was one that never expires
	// (see lease ls): revoking clears it.
	Stuck   bool   `json:"stuck" yaml:"stuck"`
	Message string `json:"message" yaml:"message"`
}

func newLeaseRevokeCommand(cfg *config) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "revoke [-o table|json|yaml] WORKERID --yes",
		Short: "Take a WorkerId away from its holder",
		Long: `revoke takes a WorkerId away from the node that holds it. On etcd it revokes
the holder's lease; on ZooKeeper it deletes workers/<wid>. The holder's watch
sees it at once and the holder stops issuing, then acquires a WorkerId again
(in ZooKeeper's sequential mode the same one, which its identity keeps). IDs
stay unique: the new claim reads W, and the revoked holder can never raise W
again.

A holder record that never expires (STUCK in lease ls: on etcd under no
lease, on ZooKeeper not ephemeral) is deleted: idcoord never writes one,
and never deletes one by itself, because a record it did not write is for
an operator to judge; nodes skip its WorkerId until then.

Without --yes it only says what it would do, and exits 0.

-o json and -o yaml print {"worker_id", "node", "revoked", "stuck", "message"}.`,
		Example: "  idcoord lease revoke 3\n  idcoord lease revoke 3 --yes",
		Args:    cobra.ExactArgs(1),
	}
	out := addOutputFlag(cmd, "table", "json", "yaml")
	var yes bool
	cmd.Flags().BoolVar(&yes, "yes", false, "revoke; without it, only say what would be done")
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		s, err := checkedSettings(cfg, out)
		if err != nil {
			return err
		}
		wid, err := parseWorkerID(s, args[0])
		if err != nil {
			return fmt.Errorf("lease revoke: %w", err)
		}
		return inspect(cmd, s, func(ctx context.Context, ins *inspection) error {
			doc := leaseRevoke{WorkerID: wid}
			if yes {
				// Only to word the message: Revoke clears a stuck record as
				// it revokes a lease.
				h, _ := liveHolding(ctx, ins, wid)
				node, err := ins.Revoke(ctx, wid)
				if err != nil {
					return fmt.Errorf("lease revoke: %w", err)
				}
				doc.Node, doc.Revoked, doc.Stuck = node, true, h.Stuck
				doc.Message = fmt.Sprintf("revoked WorkerId %d held by node %s; it stops issuing at its next write of W or keepalive, within seconds, and acquires a WorkerId again", wid, orDash(doc.Node))
				if h.Stuck {
					doc.Message = fmt.Sprintf("cleared the stuck holder record of WorkerId %d (node %s), which nothing would have removed; the WorkerId is free again", wid, orDash(doc.Node))
				}
			} else {
				h, err := liveHolding(ctx, ins, wid)
				if err != nil {
					return fmt.Errorf("lease revoke: %w in cluster %q of %s", err, s.Cluster, storeName(s))
				}
				doc.Node, doc.Stuck = h.Node, h.Stuck
				doc.Message = fmt.Sprintf("would revoke WorkerId %d held by node %s (admin %s); run again with --yes", wid, orDash(h.Node), orDash(h.Admin))
				if h.Stuck {
					doc.Message = fmt.Sprintf("would clear the stuck holder record of WorkerId %d (node %s, under no lease or session, so it never expires); run again with --yes", wid, orDash(h.Node))
				}
			}
			if out.format == "table" {
				_, err := fmt.Fprintln(cmd.OutOrStdout(), doc.Message)
				return err
			}
			return writeDocument(cmd.OutOrStdout(), out.format, doc)
		})
	}
	return cmd
}

// liveHolding finds the live holder of wid.
func liveHolding(ctx context.Context, ins *inspection, wid int64) (coord.Holding, error) {
	rows, err := ins.Holdings(ctx)
	if err != nil {
		return coord.Holding{}, err
	}
	for _, h := range rows {
		if h.WorkerID == wid && h.Live {
			return h, nil
		}
	}
	return coord.Holding{}, fmt.Errorf("%w: WorkerId %d has no holder", coord.ErrNotHeld, wid)
}
