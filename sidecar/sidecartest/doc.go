// Package sidecartest holds what the tests of the sidecar, its client and
// the client snippets share: Source, a sidecar.Source backed by a real
// snowflake generator that a test can switch off, hold, and ask what it was
// asked for; and ShortDir, a folder whose paths fit in a Unix socket address.
//
// It does not import sidecar, so that the sidecar's own (internal) tests can
// import it; sidecar/testserver, which does, starts whole sidecars on it for
// the tests of the client, the load generator and the CLI; sidecartest_test checks that *Source satisfies sidecar.Source.
// It is an ordinary package, not a _test.go file; nothing outside tests
// imports it.
package sidecartest
