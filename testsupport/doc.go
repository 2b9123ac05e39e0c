// Package testsupport holds what tests across idcoord use to run real
// servers and to break the network between them, one package each:
//
//	testproc    runs a server process, waits for it, backs up its data; polls a condition
//	etcdtest    real etcd: the Debian binary (one member or a cluster), the embedded server
//	zktest      real ZooKeeper: a standalone server or an ensemble
//	faultproxy  a TCP proxy that delays, drops and cuts links
//	markdown    a section of a README, by its heading, for tests that hold docs to the code
//
// They are ordinary packages, not _test.go files, so the tests of every
// package can import them; nothing outside tests does. The conformance suite
// both coord backends run is coord/coordtest, beside the contract; the fake
// sidecar.Source and the short socket folder are sidecar/sidecartest,
// beside the sidecar.
package testsupport
