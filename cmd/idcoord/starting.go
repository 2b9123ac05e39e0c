package main

import (
	"context"
	"errors"
	"sync/atomic"

	"github.com/idcoord/idcoord"
	"github.com/idcoord/idcoord/coord/segment"
	"github.com/idcoord/idcoord/snowflake"
)

// errStarting is the answer while the node has not started yet.
var errStarting = errors.New("idcoord: not ready: starting (acquiring a WorkerId)")

// errStoreNotOpen is the answer to segment requests before the store is
// open.
var errStoreNotOpen = errors.New("idcoord: starting: the store is not open yet")

// startingSource serves from the node once it has started, and answers "not
// ready" before. It lets the socket and the admin listener come up first.
type startingSource struct {
	layout   snowflake.Layout
	node     atomic.Pointer[idcoord.Node]
	segments atomic.Pointer[segment.Allocator]
}

func (s *startingSource) set(n *idcoord.Node) { s.node.Store(n) }

// setSegments serves segment IDs from a before the node has started: they
// need no WorkerId.
func (s *startingSource) setSegments(a *segment.Allocator) { s.segments.Store(a) }

// AppendSegmentIDs serves segment IDs as soon as the store is open.
func (s *startingSource) AppendSegmentIDs(ctx context.Context, tag string, dst []int64, n int) ([]int64, error) {
	if a := s.segments.Load(); a != nil {
		return a.AppendIDs(ctx, tag, dst, n)
	}
	return dst, errStoreNotOpen
}

func (s *startingSource) AppendIDs(ctx context.Context, dst []int64, n int) ([]int64, error) {
	if node := s.node.Load(); node != nil {
		return node.AppendIDs(ctx, dst, n)
	}
	return dst, errStarting
}

func (s *startingSource) Ready() error {
	if node := s.node.Load(); node != nil {
		return node.Ready()
	}
	return errStarting
}

func (s *startingSource) Layout() snowflake.Layout { return s.layout }

func (s *startingSource) status() any {
	if node := s.node.Load(); node != nil {
		return node.Status()
	}
	st := map[string]any{"ready": false, "reason_code": idcoord.ReasonAcquiring, "reason": errStarting.Error()}
	// Segment IDs are served before the node has started: show their
	// buffers too, as a started node's status does.
	if a := s.segments.Load(); a != nil {
		st["segments"] = a.Status()
	}
	return st
}
