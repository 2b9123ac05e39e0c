// Package scale measures idcoord at fleet size: N in-process nodes
// (idcoord.Start, 1,000 by default) on one etcd server and on one ZooKeeper
// server, all started at once, then left running at the default report and
// refresh periods while the test reads what they cost the store and each
// other: store writes and requests per second, the store server's CPU,
// and the peer /clock probes the nodes' clock checks send.
//
// The invariant it checks: after the fleet-start storm every node holds a
// WorkerId no other node holds, and at the end of the measured window no
// two ready nodes share one. Everything else is measured and reported,
// never asserted: the machine is shared, and the figures are for a table.
//
// The tests run only with IDCOORD_E2E_LONG=1 (make e2e); see
// test/e2e/README.md, "Fleet scale".
package scale
