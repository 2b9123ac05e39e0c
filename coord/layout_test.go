package coord_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/idcoord/idcoord/coord"
)

var twitter = coord.LayoutRecord{TimeBits: 41, TimeUnitMS: 1, WorkerBits: 10, SequenceBits: 12, EpochUnixMS: 1288834974657}

func TestDecodeLayout(t *testing.T) {
	tests := []struct {
		name, data string
		want       string // a part of the error; empty: decodes to twitter
	}{
		{"as encoded", string(twitter.Encode()), ""},
		{"no datacenter fields", `{"time_bits":41,"time_unit_ms":1,"worker_bits":10,"sequence_bits":12,"epoch_unix_ms":1288834974657}`, ""},
		{"not json", "41/10/12", "not a JSON object"},
		{"empty", "", "EOF"},
		{"array", "[41,10,12]", "not a JSON object"},
		{"string bits", `{"time_bits":"41","time_unit_ms":1,"worker_bits":10,"sequence_bits":12,"epoch_unix_ms":0}`, "time_bits is not a whole number"},
		{"missing epoch", `{"time_bits":41,"time_unit_ms":1,"worker_bits":10,"sequence_bits":12}`, "required"},
		{"unknown field", `{"time_bits":41,"time_unit_ms":1,"worker_bits":10,"sequence_bits":12,"epoch_unix_ms":0,"shift":1}`, `unknown field "shift"`},
		{"trailing data", string(twitter.Encode()) + "{}", "data after"},
		{"zero worker bits", `{"time_bits":41,"time_unit_ms":1,"worker_bits":0,"sequence_bits":12,"epoch_unix_ms":0}`, "no bits"},
		{"64 bits", `{"time_bits":42,"time_unit_ms":1,"worker_bits":10,"sequence_bits":12,"epoch_unix_ms":0}`, "more than 63"},
		{"zero unit", `{"time_bits":41,"time_unit_ms":0,"worker_bits":10,"sequence_bits":12,"epoch_unix_ms":0}`, "time unit"},
		{"datacenter out of range", `{"time_bits":41,"time_unit_ms":1,"worker_bits":5,"sequence_bits":12,"epoch_unix_ms":0,"datacenter_bits":5,"datacenter_id":32}`, "datacenter_id"},
		{"datacenter id without bits", `{"time_bits":41,"time_unit_ms":1,"worker_bits":10,"sequence_bits":12,"epoch_unix_ms":0,"datacenter_id":1}`, "datacenter_id"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := coord.DecodeLayout("/idcoord/c/layout", []byte(tt.data))
			if tt.want == "" {
				if err != nil || got != twitter {
					t.Fatalf("DecodeLayout = %v, %v; want %v", got, err, twitter)
				}
				return
			}
			if !errors.Is(err, coord.ErrBadRecord) || !strings.Contains(err.Error(), tt.want) || !strings.Contains(err.Error(), "/idcoord/c/layout") {
				t.Fatalf("DecodeLayout(%q) = %v; want ErrBadRecord naming the key and saying %q", tt.data, err, tt.want)
			}
		})
	}
}

func TestLayoutString(t *testing.T) {
	if got, want := twitter.String(), "41/10/12 @1ms epoch 2010-11-04T01:42:54.657Z"; got != want {
		t.Errorf("String() = %q, want %q", got, want)
	}
	dc := twitter
	dc.WorkerBits, dc.DatacenterBits, dc.DatacenterID = 5, 5, 3
	if got, want := dc.String(), "41/5/12 @1ms epoch 2010-11-04T01:42:54.657Z, datacenter 3 of 5 bits"; got != want {
		t.Errorf("String() = %q, want %q", got, want)
	}
}

func TestAgreeLayout(t *testing.T) {
	narrow := twitter
	narrow.WorkerBits, narrow.SequenceBits = 8, 14
	if got, err := coord.AgreeLayout("orders", twitter, twitter); err != nil || got != twitter {
		t.Fatalf("AgreeLayout of equal layouts = %v, %v", got, err)
	}
	got, err := coord.AgreeLayout("orders", twitter, narrow)
	if got != twitter || !errors.Is(err, coord.ErrLayoutMismatch) {
		t.Fatalf("AgreeLayout = %v, %v; want the stored layout and ErrLayoutMismatch", got, err)
	}
	want := `coord: two layouts in one cluster: cluster "orders" uses layout 41/10/12 @1ms epoch 2010-11-04T01:42:54.657Z; ` +
		`this node's is 41/8/14 @1ms epoch 2010-11-04T01:42:54.657Z, and IDs of one repeat IDs of the other; ` +
		`start this node under a new cluster name (--cluster), or with the cluster's layout`
	if err.Error() != want {
		t.Errorf("error\n%s\nwant\n%s", err, want)
	}
	// Layouts that differ only in the datacenter: the error says a cluster
	// is one datacenter, and names the datacenter.id that fits the cluster.
	dc1 := twitter
	dc1.WorkerBits, dc1.DatacenterBits, dc1.DatacenterID = 5, 5, 1
	dc2 := dc1
	dc2.DatacenterID = 2
	_, err = coord.AgreeLayout("orders", dc1, dc2)
	if !errors.Is(err, coord.ErrLayoutMismatch) {
		t.Fatalf("AgreeLayout of datacenters 1 and 2 = %v; want ErrLayoutMismatch", err)
	}
	for _, says := range []string{"uses layout 41/5/12 @1ms epoch 2010-11-04T01:42:54.657Z, datacenter 1 of 5 bits",
		"this node's is 41/5/12 @1ms epoch 2010-11-04T01:42:54.657Z, datacenter 2 of 5 bits", "a cluster is one datacenter",
		"datacenter.id 1"} {
		if !strings.Contains(err.Error(), says) {
			t.Errorf("error %q does not say %q", err, says)
		}
	}
}

// FuzzDecodeLayout: a stored layout comes from outside; whatever decodes
// encodes back to a record that decodes to itself.
func FuzzDecodeLayout(f *testing.F) {
	f.Add(twitter.Encode())
	f.Add([]byte(`{"time_bits":39,"time_unit_ms":10,"worker_bits":16,"sequence_bits":8,"epoch_unix_ms":1409529600000}`))
	f.Add([]byte(`{"time_bits":41,"time_unit_ms":1,"worker_bits":5,"sequence_bits":12,"epoch_unix_ms":0,"datacenter_bits":5,"datacenter_id":31}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := coord.DecodeLayout("layout", data)
		if err != nil {
			if !errors.Is(err, coord.ErrBadRecord) {
				t.Fatalf("error %v does not wrap ErrBadRecord", err)
			}
			return
		}
		again, err := coord.DecodeLayout("layout", r.Encode())
		if err != nil || again != r {
			t.Fatalf("%v encodes to a record that decodes to %v, %v", r, again, err)
		}
		_ = r.String()
	})
}
