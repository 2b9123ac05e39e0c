package snowflake_test

import (
	"errors"
	"testing"
	"time"

	"github.com/idcoord/idcoord/snowflake"
)

func FuzzComposeDecompose(f *testing.F) {
	f.Add(int64(1<<22|1<<12|1), 41, 0, 10, 12)
	f.Add(int64(1<<22|3<<17|2<<12|1), 41, 5, 5, 12)
	f.Add(int64(0), 39, 0, 16, 8)
	f.Add(int64(-1), 28, 0, 22, 13)
	f.Add(int64(1<<62), 1, 0, 1, 61)
	f.Add(int64(1<<62), 1, 1, 1, 60)
	f.Add(int64(5), 41, -1, 10, 12)
	f.Fuzz(func(t *testing.T, id int64, timeBits, dcBits, workerBits, seqBits int) {
		l := snowflake.Layout{TimeBits: timeBits, TimeUnit: time.Millisecond, DatacenterBits: dcBits, WorkerBits: workerBits,
			SequenceBits: seqBits, Epoch: time.UnixMilli(0)}
		p, err := l.Decompose(id)
		if err != nil {
			return
		}
		back, err := l.Compose(p)
		if err != nil {
			t.Fatalf("Compose(%+v) of a decoded ID: %v", p, err)
		}
		if back != id {
			t.Fatalf("round trip %d -> %+v -> %d", id, p, back)
		}
		if p.DatacenterID != 0 && !l.HasDatacenter() {
			t.Fatalf("datacenter %d decoded in a layout without the field", p.DatacenterID)
		}
	})
}

func FuzzLayoutValidate(f *testing.F) {
	f.Add(41, int64(time.Millisecond), 0, 10, 12, int64(1288834974657))
	f.Add(41, int64(time.Millisecond), 5, 5, 12, int64(1288834974657))
	f.Add(0, int64(0), 0, 0, 0, int64(0))
	f.Add(63, int64(time.Second), -3, 63, 63, int64(-1))
	f.Fuzz(func(t *testing.T, timeBits int, unit int64, dcBits, workerBits, seqBits int, epochMS int64) {
		l := snowflake.Layout{TimeBits: timeBits, TimeUnit: time.Duration(unit), DatacenterBits: dcBits, WorkerBits: workerBits,
			SequenceBits: seqBits, Epoch: time.UnixMilli(epochMS)}
		err := l.ValidateAt(time.Date(2026, 11, 21, 0, 0, 0, 0, time.UTC))
		if err != nil {
			for _, known := range []error{snowflake.ErrZeroWidth, snowflake.ErrBitsOverflow, snowflake.ErrTimeUnit, snowflake.ErrEpoch,
				snowflake.ErrLifetimeTooLong, snowflake.ErrEpochInFuture, snowflake.ErrLifetimeEnded} {
				if errors.Is(err, known) {
					return
				}
			}
			t.Fatalf("unexpected error kind: %v", err)
		}
		if sum := timeBits + dcBits + workerBits + seqBits; sum > 63 || timeBits < 1 || dcBits < 0 || workerBits < 1 || seqBits < 1 {
			t.Fatalf("accepted bits %d/%d/%d/%d", timeBits, dcBits, workerBits, seqBits)
		}
		_ = l.End()
		_ = l.Capacity()
		if _, err := snowflake.New(snowflake.Config{Layout: l, DatacenterID: l.MaxDatacenterID(), WorkerID: 1, Reserved: []int64{}}); err != nil && !errors.Is(err, snowflake.ErrWorkerIDRange) {
			t.Fatalf("New on a valid layout: %v", err)
		}
	})
}
