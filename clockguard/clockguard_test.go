package clockguard_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/idcoord/idcoord/clockguard"
	"github.com/idcoord/idcoord/testsupport/testproc"
)

var t0 = time.Date(2026, 11, 21, 10, 0, 0, 0, time.UTC)

func TestStepDetector(t *testing.T) {
	wall := clockguard.NewManualClock(t0)
	var mono clockguard.ManualMonotonic
	d := clockguard.NewStepDetector(wall, mono.Now, 50*time.Millisecond)

	tests := []struct {
		name       string
		wall, mono time.Duration // how far each clock moves
		step       time.Duration
	}{
		{"steady", time.Second, time.Second, 0},
		{"slew within tolerance", time.Second + 10*time.Millisecond, time.Second, 0},
		{"small backward step", 996 * time.Millisecond, time.Second, 0},
		{"large backward step", -10 * time.Second, time.Second, -11 * time.Second},
		{"forward step", time.Hour, time.Second, time.Hour - time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			wall.Advance(tt.wall)
			mono.Advance(tt.mono)
			if got := d.Observe(); got != tt.step {
				t.Fatalf("Observe() = %s, want %s", got, tt.step)
			}
		})
	}
	if f, b := d.Steps(); f != 1 || b != 1 {
		t.Fatalf("Steps() = %d forward, %d backward", f, b)
	}
	// The monotonic clock vouches for 5s since the start, not for the hour.
	if got := d.Ahead(); got < 59*time.Minute {
		t.Fatalf("Ahead() = %s after a 1h forward step", got)
	}
	if want := t0.Add(5 * time.Second); !d.Vouched().Equal(want) {
		t.Fatalf("Vouched() = %s, want %s", d.Vouched(), want)
	}
	d.Confirm()
	if d.Ahead() != 0 {
		t.Fatalf("Ahead() = %s after Confirm", d.Ahead())
	}
}

func TestJudge(t *testing.T) {
	boom := errors.New("no answer")
	tests := []struct {
		name     string
		samples  []clockguard.Sample
		maxDrift time.Duration
		mean     time.Duration
		used     int
		wantErr  string
	}{
		{"no peers", nil, time.Second, 0, 0, ""},
		{"all silent", []clockguard.Sample{{Err: boom}}, time.Second, 0, 0, ""},
		{"within", []clockguard.Sample{{Offset: 300 * time.Millisecond}, {Offset: -100 * time.Millisecond}}, time.Second, 100 * time.Millisecond, 2, ""},
		{"peers ahead", []clockguard.Sample{{Offset: 5 * time.Second}, {Offset: 5 * time.Second}, {Err: boom}}, time.Second, 5 * time.Second, 2, "5s behind the median of 2 peers"},
		{"peers behind", []clockguard.Sample{{Offset: -5 * time.Second}}, time.Second, -5 * time.Second, 1, "5s ahead of the median of 1 peers"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := clockguard.Judge(tt.samples)
			if v.Mean != tt.mean || v.Used != tt.used {
				t.Fatalf("Judge() = %+v", v)
			}
			err := v.Check(tt.maxDrift)
			if tt.wantErr == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if !errors.Is(err, clockguard.ErrDrift) || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("Check() = %v, want ErrDrift mentioning %q", err, tt.wantErr)
			}
		})
	}
}

// TestMeasureOverHTTP measures real /clock endpoints: one 5s ahead, one that
// is too slow to count, one that answers garbage.
func TestMeasureOverHTTP(t *testing.T) {
	serve := func(h http.HandlerFunc) string {
		s := httptest.NewServer(h)
		t.Cleanup(s.Close)
		return strings.TrimPrefix(s.URL, "http://")
	}
	ahead := serve(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, `{"unix_nano": %d}`, time.Now().Add(5*time.Second).UnixNano())
	})
	slow := serve(func(w http.ResponseWriter, r *http.Request) {
		time.Sleep(300 * time.Millisecond)
		fmt.Fprintf(w, `{"unix_nano": %d}`, time.Now().UnixNano())
	})
	garbage := serve(func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, `{"unix_nano": "x"}`) })
	samples := clockguard.Measure(context.Background(), clockguard.System{}, clockguard.HTTPProbe(nil),
		[]string{ahead, slow, garbage, "127.0.0.1:1"}, 200*time.Millisecond)
	if s := samples[0]; s.Err != nil || (s.Offset-5*time.Second).Abs() > 100*time.Millisecond {
		t.Fatalf("ahead peer: %+v", s)
	}
	for i, s := range samples[1:] {
		if s.Err == nil {
			t.Fatalf("sample %d should be unusable: %+v", i+1, s)
		}
	}
	if v := clockguard.Judge(samples); v.Used != 1 || v.Check(time.Second) == nil {
		t.Fatalf("verdict %+v", v)
	}
}

func FuzzParseClockReply(f *testing.F) {
	f.Add(200, []byte(`{"unix_nano": 1763700000000000000}`))
	f.Add(500, []byte(`{}`))
	f.Add(200, []byte(`{"unix_nano": -1}`))
	f.Fuzz(func(t *testing.T, status int, body []byte) {
		got, err := clockguard.ParseClockReply(status, body)
		if err == nil && (status != 200 || got.UnixNano() <= 0) {
			t.Fatalf("accepted status %d body %q as %s", status, body, got)
		}
	})
}

func TestManualClockSleep(t *testing.T) {
	c := clockguard.NewManualClock(t0)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- c.Sleep(ctx, time.Second) }()
	waitForSleeper(t, c)
	c.Advance(500 * time.Millisecond)
	select {
	case err := <-done:
		t.Fatalf("Sleep returned early: %v", err)
	default:
	}
	c.Advance(500 * time.Millisecond)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	go func() { done <- c.Sleep(ctx, time.Second) }()
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("Sleep after cancel = %v", err)
	}
	c.SetAutoAdvance(true)
	if err := c.Sleep(context.Background(), time.Minute); err != nil || !c.Now().Equal(t0.Add(time.Second+time.Minute)) {
		t.Fatalf("auto-advance: %v, now %s", err, c.Now())
	}
}

func waitForSleeper(t *testing.T, c *clockguard.ManualClock) {
	t.Helper()
	// Real time: waiting for a goroutine, not moving the clock.
	testproc.Within(t, 5*time.Second, "something sleeping on the manual clock", func() bool { return c.Waiters() > 0 })
}
