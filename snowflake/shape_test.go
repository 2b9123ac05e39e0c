package snowflake_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/idcoord/idcoord/snowflake"
)

// TestValidateShape covers the checks that do not depend on the time: a
// layout that fails one neither issues nor decodes.
func TestValidateShape(t *testing.T) {
	tests := []struct {
		name string
		edit func(*snowflake.Layout) // applied to the twitter preset
		want error
		says string
	}{
		{"twitter", func(*snowflake.Layout) {}, nil, ""},
		{"ended lifetime is a time check", func(l *snowflake.Layout) { l.TimeBits = 30 }, nil, ""},
		{"future epoch is a time check", func(l *snowflake.Layout) { l.Epoch = time.Date(2999, 1, 1, 0, 0, 0, 0, time.UTC); l.TimeBits = 30 }, nil, ""},
		{"epoch before 1970", func(l *snowflake.Layout) { l.Epoch = time.UnixMilli(-1) }, snowflake.ErrEpoch, "before 1970-01-01T00:00:00Z"},
		{"epoch below a millisecond", func(l *snowflake.Layout) { l.Epoch = l.Epoch.Add(time.Microsecond) }, snowflake.ErrEpoch, "not a whole millisecond"},
		{"epoch past 9999", func(l *snowflake.Layout) { l.Epoch = time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC) }, snowflake.ErrEpoch, "in the year 9999 or later"},
		{"lifetime past 9999", func(l *snowflake.Layout) { l.TimeUnit = 1000 * time.Hour }, snowflake.ErrLifetimeTooLong, "run out in the year 9999 or later"},
		{"bits over 63", func(l *snowflake.Layout) { l.TimeBits = 42 }, snowflake.ErrBitsOverflow, "= 64 bits"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := snowflake.Twitter()
			tt.edit(&l)
			err := l.ValidateShape()
			if !errors.Is(err, tt.want) || (err == nil) != (tt.want == nil) {
				t.Fatalf("ValidateShape() = %v, want %v", err, tt.want)
			}
			if err != nil && !strings.Contains(err.Error(), tt.says) {
				t.Errorf("error %q does not say %q", err, tt.says)
			}
			if _, derr := l.Decompose(1); (derr == nil) != (err == nil) {
				t.Errorf("Decompose = %v, ValidateShape = %v; they must agree", derr, err)
			}
		})
	}
}

func TestValidateReserved(t *testing.T) {
	narrow := snowflake.Twitter()
	narrow.WorkerBits = 1
	tests := []struct {
		name     string
		layout   snowflake.Layout
		reserved []int64
		want     error
	}{
		{"default", snowflake.Twitter(), snowflake.DefaultReserved, nil},
		{"none", snowflake.Twitter(), nil, nil},
		{"one left", narrow, []int64{1, 1}, nil},
		{"negative", snowflake.Twitter(), []int64{-1}, snowflake.ErrWorkerIDRange},
		{"beyond the worker bits", snowflake.Twitter(), []int64{0, 1024}, snowflake.ErrWorkerIDRange},
		{"all of them", narrow, []int64{1, 0, 1}, snowflake.ErrAllReserved},
	}
	for _, tt := range tests {
		err := tt.layout.ValidateReserved(tt.reserved)
		if !errors.Is(err, tt.want) || (err == nil) != (tt.want == nil) {
			t.Errorf("%s: ValidateReserved(%v) = %v, want %v", tt.name, tt.reserved, err, tt.want)
		}
	}
}
