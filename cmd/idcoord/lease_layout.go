package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/idcoord/idcoord/coord"
)

// layoutView is the cluster's stored layout as lease ls prints it in JSON
// and YAML, in the shape of /status's layout, with the datacenter field.
type layoutView struct {
	TimeBits     int    `json:"time_bits" yaml:"time_bits"`
	TimeUnit     string `json:"time_unit" yaml:"time_unit"`
	WorkerBits   int    `json:"worker_bits" yaml:"worker_bits"`
	SequenceBits int    `json:"sequence_bits" yaml:"sequence_bits"`
	// Epoch is RFC 3339, UTC, with milliseconds.
	Epoch          string `json:"epoch" yaml:"epoch"`
	DatacenterBits int    `json:"datacenter_bits" yaml:"datacenter_bits"`
	DatacenterID   int64  `json:"datacenter_id" yaml:"datacenter_id"`
}

func newLayoutView(r coord.LayoutRecord) *layoutView {
	return &layoutView{TimeBits: r.TimeBits, TimeUnit: (time.Duration(r.TimeUnitMS) * time.Millisecond).String(),
		WorkerBits: r.WorkerBits, SequenceBits: r.SequenceBits, Epoch: formatTime(time.UnixMilli(r.EpochUnixMS)),
		DatacenterBits: r.DatacenterBits, DatacenterID: r.DatacenterID}
}

// clusterLayout is what lease ls knows of the cluster's stored layout.
type clusterLayout struct {
	record coord.LayoutRecord
	stored bool // a layout is stored and could be read
	bad    bool // a layout is stored and could not be read
}

// readLayout reads the cluster's stored layout. A record that cannot be
// read is a warning line on stderr, not an error: the holders are still
// worth listing.
func readLayout(ctx context.Context, ins *inspection, stderr io.Writer) (clusterLayout, error) {
	r, ok, err := ins.StoredLayout(ctx)
	switch {
	case errors.Is(err, coord.ErrBadRecord):
		fmt.Fprintf(stderr, "warning: %v\n", err)
		return clusterLayout{bad: true}, nil
	case err != nil:
		return clusterLayout{}, err
	}
	return clusterLayout{record: r, stored: ok}, nil
}

// view is the layout for JSON and YAML: null unless stored and readable.
func (l clusterLayout) view() *layoutView {
	if !l.stored {
		return nil
	}
	return newLayoutView(l.record)
}

// line is the line lease ls prints above its table.
func (l clusterLayout) line() string {
	switch {
	case l.bad:
		return "layout: unreadable (see the warning above)"
	case !l.stored:
		return "layout: none stored (no node of this version has started in the cluster)"
	}
	if l.record.DatacenterBits > 0 {
		return fmt.Sprintf("layout: %s (time/worker/sequence bits, tick, epoch; the WorkerIds below are datacenter %d's)",
			l.record, l.record.DatacenterID)
	}
	return "layout: " + l.record.String() + " (time/worker/sequence bits, tick, epoch)"
}

// datacenterWarning is the warning lease ls prints when the cluster's
// stored datacenter is not the one configured (datacenter.id,
// layout.datacenter-bits): most often the store of another region. Empty
// when they agree or no layout is stored.
func (l clusterLayout) datacenterWarning(s *settings, cluster string) string {
	r := l.record
	if !l.stored || (r.DatacenterBits == s.Layout.DatacenterBits && r.DatacenterID == s.DatacenterID) {
		return ""
	}
	return fmt.Sprintf("warning: cluster %q is datacenter %d of %d bits, but datacenter.id and layout.datacenter-bits say %d of %d bits; "+
		"the WorkerIds listed are datacenter %d's (is this the store of another region?)",
		cluster, r.DatacenterID, r.DatacenterBits, s.DatacenterID, s.Layout.DatacenterBits, r.DatacenterID)
}
