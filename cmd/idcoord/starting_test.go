package main

import (
	"context"
	"testing"
	"time"

	"go.uber.org/zap"

	"github.com/idcoord/idcoord/coord"
	"github.com/idcoord/idcoord/coord/etcd"
	"github.com/idcoord/idcoord/coord/segment"
	"github.com/idcoord/idcoord/testsupport/etcdtest"
)

// TestStartingStatusShowsSegments: before the node has started (it may
// wait long for a WorkerId), segment IDs are served, and /status shows the
// buffers they come from.
func TestStartingStatusShowsSegments(t *testing.T) {
	srv := etcdtest.StartEmbedded(t)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	b, err := etcd.New(ctx, etcd.Config{Endpoints: srv.Endpoints(), Cluster: "starting", Logger: zap.NewNop()})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	if _, err := coord.CreateSegment(ctx, b, "orders", 1, 100, "", time.Now()); err != nil {
		t.Fatal(err)
	}
	a, err := segment.New(segment.Config{Store: b})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	s := &startingSource{}
	if _, err := s.AppendSegmentIDs(ctx, "orders", nil, 1); err == nil {
		t.Fatal("segment IDs before the store is open")
	}
	s.setSegments(a)
	if _, err := s.AppendSegmentIDs(ctx, "orders", nil, 5); err != nil {
		t.Fatal(err)
	}
	st, ok := s.status().(map[string]any)
	if !ok || st["ready"] != false {
		t.Fatalf("status while starting: %#v", s.status())
	}
	tags, ok := st["segments"].([]segment.TagStatus)
	if !ok || len(tags) != 1 || tags[0].Tag != "orders" || tags[0].Current.End-tags[0].Current.Next != 95 {
		t.Fatalf("segments in the starting status: %#v, want orders with 95 IDs left", st["segments"])
	}
}
