// Package e2e runs idcoord as users do: `idcoord serve` processes (built with
// the faultclock tag) against real etcd and ZooKeeper servers, driven through
// the Unix socket, the admin listener and the CLI, with faults injected from
// outside the process.
package e2e
