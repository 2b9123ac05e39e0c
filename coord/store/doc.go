// Package store opens the coordination store that an idcoord node runs
// against, from one Config: an etcd cluster (with TLS and credentials read
// from files), a single-member etcd embedded in the process, or a
// ZooKeeper ensemble (with digest auth read from a file). It is what the
// idcoord command does at start, so that a program that embeds idcoord
// need not build a coord.Backend of its own.
//
// Open is for a process that will hold a WorkerId: it starts the embedded
// etcd when there is one, and retries a store that does not answer yet
// (coord.ErrUnreachable) with backoff, up to Config.StartTimeout. It never
// falls back on anything read before: a store that never answers is an
// error, "... (gave up after 30s)". Dial is for a tool that only reads or
// repairs the store: one try, and it never starts the embedded etcd (with
// KindEmbedded it connects to the one a running node serves).
//
// Secrets stay out of errors: an error about a password or auth file names
// the file, never what it holds. TLS verification of the etcd servers is
// never skipped: without a CA file the system's roots are used.
//
// Config mirrors the idcoord configuration file, and errors about a file
// name it by the key that sets it there (etcd.ca-file, zk.auth-file), so
// that the command's errors and a library user's read the same.
package store
