// Package faultproxy is a userspace TCP proxy on loopback that tests put between
// a client and a real server (etcd, ZooKeeper) to inject network faults. The
// kernel on the test machines has no netem, so delay, loss and partitions are
// made here, one level up.
//
// A Proxy listens on 127.0.0.1 on a free port and forwards every accepted
// connection to one target address. Its controls take effect at once, for
// connections already open and for new ones, and are safe to call from any
// goroutine:
//
//   - Block makes the link silent in both directions without closing anything:
//     bytes already read are held, new connections are accepted but not dialed
//     upstream, and a peer that closes is not reported to the other side. It is
//     a blackhole, the way a partition looks to TCP. Unblock releases the held
//     bytes in order, as TCP retransmission would after a short partition heals.
//   - SetDelay delays every chunk by mean ± jitter (uniform), keeping the order
//     of bytes in each direction: a chunk is never released before the one read
//     ahead of it.
//   - SetDropRate resets the connection with probability p for each chunk read.
//     TCP cannot lose bytes silently without breaking the stream, so loss is
//     emulated as connection resets; the retransmission latency that real loss
//     also causes is what SetDelay is for.
//   - CloseAll resets every current connection.
//
// Randomness (jitter and drops) comes from one source seeded by Options.Seed,
// drawn under a lock, so a run whose traffic is in lock step (request, then
// response) makes the same decisions for the same seed. Traffic from several
// connections at once interleaves as the scheduler decides, and so do the draws.
//
// The Proxy closes itself through tb.Cleanup: the listener, every connection
// and every goroutine it started are gone when Cleanup returns.
package faultproxy
