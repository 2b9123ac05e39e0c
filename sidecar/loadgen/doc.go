// Package loadgen is a closed-loop load generator for an idcoord sidecar,
// the engine of idcoord bench.
//
// A Generator drives Config.Conns connections to the sidecar's socket, each
// from its own goroutine: send one request for Config.Batch IDs, wait for
// the answer, send the next, for Config.Duration. With Config.Tag set, the
// requests ask for segment IDs of that tag instead of Snowflake IDs. The
// line protocol goes
// through client.Conn; HTTP through a minimal keep-alive HTTP/1.1 client of
// this package, which allocates nothing per request, so that the generator's
// own cost stays small. Both parse answers with package client's parser.
//
// Each request's latency, from the end of the previous answer to the end of
// its own, goes into a histogram with buckets at most 3% wide. Every ID
// received on a connection must be above the previous one (a run asks for
// one kind of ID: Snowflake IDs, or those of one tag); those that are not
// are counted as increase violations. Failed requests are counted by
// kind (ErrorKinds) and a broken connection is replaced; only failing to
// connect at the start is an error.
//
// Every connection's I/O fails once DialTimeout, the duration and Grace
// have passed since Dial, so Run returns by then whatever the server does.
package loadgen
