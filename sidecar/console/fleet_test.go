package console_test

import (
	"context"
	"io"
	"net"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"go.uber.org/zap"

	"github.com/idcoord/idcoord"
	"github.com/idcoord/idcoord/coord"
	"github.com/idcoord/idcoord/coord/coordtest"
	"github.com/idcoord/idcoord/coord/etcd"
	"github.com/idcoord/idcoord/sidecar"
	"github.com/idcoord/idcoord/sidecar/console"
	"github.com/idcoord/idcoord/snowflake"
	"github.com/idcoord/idcoord/testsupport/etcdtest"
)

// fleet is a cluster of real nodes on one etcd, each with its admin
// listener on a loopback port, so that they check each other's clocks.
// The first node's admin listener serves the console.
type fleet struct {
	endpoint, cluster string
	nodes             []*idcoord.Node
	backends          []*etcd.Backend
	console           *console.Console
	url               string       // the first node's admin listener
	issued            atomic.Int64 // IDs drawn from the first node
}

func clusterOf(t *testing.T) string { return strings.ReplaceAll(t.Name(), "/", "_") }

// startFleet starts n nodes named web-0.. in a fresh cluster on an
// embedded etcd, and the console on the first one, configured by cc.
func startFleet(t *testing.T, n int, cc func(*console.Config)) *fleet {
	t.Helper()
	srv := etcdtest.StartEmbedded(t)
	f := &fleet{endpoint: srv.Endpoints()[0], cluster: clusterOf(t)}
	for i := range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		name := "web-" + string(rune('0'+i))
		node, b := f.startNode(t, name, l.Addr().String())
		f.nodes, f.backends = append(f.nodes, node), append(f.backends, b)
		cfg := sidecar.AdminConfig{Source: node, Status: func() any { return node.Status() }}
		if i == 0 {
			cc0 := console.Config{
				Node:      func() (idcoord.Status, bool) { return node.Status(), true },
				Fleet:     b.Holdings,
				Segments:  b.ListSegments,
				IDsIssued: func() float64 { return float64(f.issued.Load()) },
				MaxDrift:  idcoord.DefaultMaxDrift,
				Logger:    coordtest.Logger(t, zap.InfoLevel).Named("console"),
			}
			if cc != nil {
				cc(&cc0)
			}
			c, err := console.New(cc0)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { c.Close() })
			f.console, cfg.Console = c, c
			f.url = "http://" + l.Addr().String() + "/"
		}
		h, err := sidecar.NewAdmin(cfg)
		if err != nil {
			t.Fatal(err)
		}
		hs := &http.Server{Handler: h, ReadHeaderTimeout: 5 * time.Second}
		go hs.Serve(l)
		t.Cleanup(func() { hs.Close() })
	}
	return f
}

// startNode starts one node that reports its clock and checks its peers'
// every second, and returns it with its store client.
func (f *fleet) startNode(t *testing.T, name, admin string) (*idcoord.Node, *etcd.Backend) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	log := coordtest.Logger(t, zap.InfoLevel).Named(name)
	// The default lease: the browser and -race share two cores with the
	// embedded etcd, and a shorter lease let a node go not ready in CI.
	b, err := etcd.New(ctx, etcd.Config{Endpoints: []string{f.endpoint}, Cluster: f.cluster, TTL: etcd.DefaultTTL,
		FenceMargin: etcd.DefaultFenceMargin, Logger: log, DialTimeout: 2 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	n, err := idcoord.Start(ctx, idcoord.Config{Backend: b, Node: name, Admin: admin, Layout: snowflake.Twitter(),
		Logger: log, StartTimeout: 10 * time.Second, ReportEvery: time.Second, PeerCheckEvery: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { n.Close(context.Background()) })
	return n, b
}

// createTag creates tag, as `idcoord segment create` does.
func (f *fleet) createTag(t *testing.T, tag string, step int64, description string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := coord.CreateSegment(ctx, f.backends[0], tag, 1, step, description, time.Now()); err != nil {
		t.Fatal(err)
	}
}

// get fetches the console over HTTP.
func (f *fleet) get(t *testing.T) string {
	t.Helper()
	resp, err := http.Get(f.url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %s\n%s", f.url, resp.Status, body)
	}
	return string(body)
}
