package sidecar

import (
	"context"
	"encoding/json"
	"strconv"
	"testing"

	"github.com/idcoord/idcoord/snowflake"
)

// dcSource issues IDs of one datacenter in the twitter-dc layout.
type dcSource struct{ gen *snowflake.Generator }

func (s dcSource) AppendIDs(ctx context.Context, dst []int64, n int) ([]int64, error) {
	return s.gen.AppendIDs(ctx, dst, n)
}
func (dcSource) Ready() error               { return nil }
func (s dcSource) Layout() snowflake.Layout { return s.gen.Layout() }

// TestHTTPDecodeDatacenter: in a layout with a datacenter field, /decode
// shows datacenter_id, datacenter 0 as well.
func TestHTTPDecodeDatacenter(t *testing.T) {
	l, err := snowflake.Preset("twitter-dc")
	if err != nil {
		t.Fatal(err)
	}
	for _, dc := range []int64{0, 5, 31} {
		gen, err := snowflake.New(snowflake.Config{Layout: l, DatacenterID: dc, WorkerID: 7})
		if err != nil {
			t.Fatal(err)
		}
		ts := startServer(t, func(c *Config) { c.Source = dcSource{gen} })
		hc := httpClient(t, ts.path)
		_, _, body := get(t, hc, "GET", "http://idcoord/id", "")
		id := textIDs(t, body, 1)[0]
		code, _, body := get(t, hc, "GET", "http://idcoord/decode/"+strconv.FormatInt(id, 10), "")
		if code != 200 {
			t.Fatalf("status %d: %s", code, body)
		}
		var got map[string]any
		if err := json.Unmarshal([]byte(body), &got); err != nil {
			t.Fatal(err)
		}
		p, err := l.Decompose(id)
		if err != nil {
			t.Fatal(err)
		}
		want := map[string]any{
			"id":            strconv.FormatInt(id, 10),
			"time":          p.Time.UTC().Format("2006-01-02T15:04:05.000Z"),
			"tick":          float64(p.Tick),
			"datacenter_id": float64(dc),
			"worker_id":     float64(7),
			"sequence":      float64(p.Sequence),
		}
		for k, v := range want {
			if got[k] != v {
				t.Errorf("datacenter %d: %s = %v, want %v (body %s)", dc, k, got[k], v, body)
			}
		}
		if len(got) != len(want) {
			t.Errorf("fields %v, want exactly %v", got, want)
		}
	}
}
