package sidecar

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.uber.org/zap"

	"github.com/idcoord/idcoord/sidecar/client"
)

// benchConns is the number of client connections: 32 per processor, 64 on
// a 2-core machine.
const benchConnsPerProc = 32

// startBenchServer starts a quiet server with a high connection limit.
func startBenchServer(b *testing.B) *testServer {
	return startServerLogged(b, zap.NewNop(), func(c *Config) { c.MaxConns = 4096 })
}

// onBenchConn runs fn with a new line connection to the server at path,
// closed after it; a failed dial is reported with b.Error and fn is not run.
func onBenchConn(b *testing.B, path string, fn func(ctx context.Context, c *client.Conn)) {
	ctx := context.Background()
	c, err := client.DialConn(ctx, path)
	if err != nil {
		b.Error(err)
		return
	}
	defer c.Close()
	fn(ctx, c)
}

// benchLine asks for batch IDs per request over many line connections:
// Snowflake IDs, or IDs of tag if it is not empty. The load generator runs
// in the same process, so allocs/op counts both sides.
func benchLine(b *testing.B, batch int, tag string) {
	ts := startBenchServer(b)
	b.ReportAllocs()
	b.SetParallelism(benchConnsPerProc)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		onBenchConn(b, ts.path, func(ctx context.Context, c *client.Conn) {
			ids := make([]int64, 0, batch)
			for pb.Next() {
				var err error
				if tag != "" {
					ids, err = c.AppendSegmentIDs(ctx, tag, ids[:0], batch)
				} else {
					ids, err = c.AppendIDs(ctx, ids[:0], batch)
				}
				if err != nil {
					b.Error(err)
					return
				}
			}
		})
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "req/s")
	b.ReportMetric(float64(b.N*batch)/b.Elapsed().Seconds(), "IDs/s")
}

func BenchmarkLineOneID(b *testing.B)     { benchLine(b, 1, "") }
func BenchmarkLineBatch1000(b *testing.B) { benchLine(b, 1000, "") }

// The segment benchmarks issue from sidecartest.Segments, an atomic counter
// per tag: they measure the socket's cost of a segment request, not the
// allocator's.
func BenchmarkLineSegmentOneID(b *testing.B)     { benchLine(b, 1, "orders") }
func BenchmarkLineSegmentBatch1000(b *testing.B) { benchLine(b, 1000, "orders") }

// BenchmarkLineSegmentVsSnowflake asks for one ID a request over 32
// connections per processor: b.N Snowflake requests, then b.N segment
// requests on the same connections, each phase timed alone. It reports
// both rates and their ratio (segment/snowflake, above 1 when segment
// requests are faster); ns/op covers one request of each kind.
func BenchmarkLineSegmentVsSnowflake(b *testing.B) {
	ts := startBenchServer(b)
	conns := make([]*client.Conn, benchConnsPerProc*runtime.GOMAXPROCS(0))
	for i := range conns {
		c, err := client.DialConn(context.Background(), ts.path)
		if err != nil {
			b.Fatal(err)
		}
		defer c.Close()
		conns[i] = c
	}
	b.ReportAllocs()
	b.ResetTimer()
	snowflake := driveConns(b, conns, b.N, func(ctx context.Context, c *client.Conn, ids []int64) ([]int64, error) {
		return c.AppendIDs(ctx, ids, 1)
	})
	segment := driveConns(b, conns, b.N, func(ctx context.Context, c *client.Conn, ids []int64) ([]int64, error) {
		return c.AppendSegmentIDs(ctx, "orders", ids, 1)
	})
	b.StopTimer()
	b.ReportMetric(float64(b.N)/snowflake.Seconds(), "snowflake-IDs/s")
	b.ReportMetric(float64(b.N)/segment.Seconds(), "segment-IDs/s")
	b.ReportMetric(snowflake.Seconds()/segment.Seconds(), "segment/snowflake")
}

// driveConns makes n requests with ask, spread over conns, each connection
// driven by its own goroutine, and returns how long they took.
func driveConns(b *testing.B, conns []*client.Conn, n int, ask func(context.Context, *client.Conn, []int64) ([]int64, error)) time.Duration {
	var next atomic.Int64
	var wg sync.WaitGroup
	start := time.Now()
	for _, c := range conns {
		wg.Go(func() {
			ctx := context.Background()
			ids := make([]int64, 0, 1)
			for next.Add(1) <= int64(n) {
				var err error
				if ids, err = ask(ctx, c, ids[:0]); err != nil {
					b.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	return time.Since(start)
}

func BenchmarkHTTPOneID(b *testing.B) {
	ts := startBenchServer(b)
	tr := client.NewHTTPTransport(ts.path)
	tr.MaxIdleConnsPerHost = 1024
	defer tr.CloseIdleConnections()
	hc := &http.Client{Transport: tr}
	b.ReportAllocs()
	b.SetParallelism(benchConnsPerProc)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		req, _ := http.NewRequest("GET", "http://idcoord/id", nil)
		for pb.Next() {
			resp, err := hc.Do(req)
			if err != nil {
				b.Error(err)
				return
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode != 200 {
				b.Errorf("status %d", resp.StatusCode)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "req/s")
}

// BenchmarkLinePipelined sends 64 one-ID requests per write on one
// connection: the server's cost per request without a syscall each.
func BenchmarkLinePipelined(b *testing.B) {
	ts := startBenchServer(b)
	c := dialLine(b, ts.path)
	const depth = 64
	req := []byte(strings.Repeat("1\n", depth))
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i += depth {
		c.Write(req)
		for range depth {
			if _, err := c.r.ReadSlice('\n'); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "req/s")
}

// BenchmarkWriteIDs formats a 1000-ID answer (consecutive IDs, as inside a
// tick), without I/O.
func BenchmarkWriteIDs(b *testing.B) {
	ids := make([]int64, 1000)
	for i := range ids {
		ids[i] = 1<<60 + int64(i)
	}
	c := &conn{s: &Server{cfg: Config{WriteTimeout: time.Second}}, nc: nopConn{}, w: bufio.NewWriterSize(io.Discard, writeBufSize)}
	b.ReportAllocs()
	for b.Loop() {
		c.writeIDs(ids)
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(ids)), "ns/ID")
}

// BenchmarkHTTPOneIDRaw is BenchmarkHTTPOneID with a minimal keep-alive
// HTTP/1.1 client instead of net/http's, so that the server's cost shows.
func BenchmarkHTTPOneIDRaw(b *testing.B) {
	ts := startBenchServer(b)
	req := []byte("GET /id HTTP/1.1\r\nHost: idcoord\r\n\r\n")
	b.ReportAllocs()
	b.SetParallelism(benchConnsPerProc)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		c, err := net.Dial("unix", ts.path)
		if err != nil {
			b.Error(err)
			return
		}
		defer c.Close()
		r := bufio.NewReader(c)
		for pb.Next() {
			if _, err := c.Write(req); err != nil {
				b.Error(err)
				return
			}
			if err := readRawResponse(r); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "req/s")
}

// readRawResponse reads one 200 response with a Content-Length body.
func readRawResponse(r *bufio.Reader) error {
	length := -1
	for first := true; ; first = false {
		line, err := r.ReadSlice('\n')
		if err != nil {
			return err
		}
		switch {
		case first && !bytes.HasPrefix(line, []byte("HTTP/1.1 200 ")):
			return fmt.Errorf("status line %q", line)
		case bytes.HasPrefix(line, []byte("Content-Length: ")):
			length, _ = strconv.Atoi(string(bytes.TrimSpace(line[len("Content-Length: "):])))
		case len(line) == 2:
			if length < 0 {
				return fmt.Errorf("no Content-Length")
			}
			_, err := r.Discard(length)
			return err
		}
	}
}

// BenchmarkLineLatency8 measures one-ID round trips over 8 connections and
// reports the p50 and p99 latency.
func BenchmarkLineLatency8(b *testing.B) {
	ts := startBenchServer(b)
	const conns = 8
	lat := make([][]time.Duration, conns)
	var next atomic.Int64
	b.ResetTimer()
	var wg sync.WaitGroup
	for g := range conns {
		wg.Go(func() {
			onBenchConn(b, ts.path, func(ctx context.Context, c *client.Conn) {
				var ids [1]int64
				for next.Add(1) <= int64(b.N) {
					start := time.Now()
					if _, err := c.AppendIDs(ctx, ids[:0], 1); err != nil {
						b.Error(err)
						return
					}
					lat[g] = append(lat[g], time.Since(start))
				}
			})
		})
	}
	wg.Wait()
	b.StopTimer()
	all := slices.Concat(lat...)
	slices.Sort(all)
	if len(all) > 0 {
		b.ReportMetric(float64(all[len(all)/2].Microseconds()), "p50-µs")
		b.ReportMetric(float64(all[len(all)*99/100].Microseconds()), "p99-µs")
	}
}
