package coord_test

import (
	"encoding/json"
	"errors"
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/idcoord/idcoord/coord"
)

func TestCheckTag(t *testing.T) {
	tests := []struct {
		tag string
		ok  bool
	}{
		{"", false},
		{"orders", true},
		{"leaf-segment-test", true},
		{"Orders_2026:eu-west.1", true},
		{"._:-", true},
		{".hidden", true},
		{"...", true},
		{"-", true},
		{strings.Repeat("a", coord.MaxTagBytes), true},
		{strings.Repeat("a", coord.MaxTagBytes+1), false},
		{".", false},
		{"..", false},
		{"a/b", false},
		{"/", false},
		{"a b", false},
		{" orders", false},
		{"orders\n", false},
		{"a\x00b", false},
		{"commandé", false},
		{"订单", false},
		{"a+b", false},
		{"a%2Fb", false},
	}
	for _, tt := range tests {
		err := coord.CheckTag(tt.tag)
		switch {
		case tt.ok && err != nil:
			t.Errorf("CheckTag(%q) = %v; want nil", tt.tag, err)
		case !tt.ok && !errors.Is(err, coord.ErrBadTag):
			t.Errorf("CheckTag(%q) = %v; want an error wrapping ErrBadTag", tt.tag, err)
		}
	}
}

// TestCheckTagBytes tries every byte in a tag: letters, digits and . _ : -
// pass, nothing else does.
func TestCheckTagBytes(t *testing.T) {
	for i := range 256 {
		b := byte(i)
		want := 'a' <= b && b <= 'z' || 'A' <= b && b <= 'Z' || '0' <= b && b <= '9' || strings.IndexByte("._:-", b) >= 0
		tag := "t" + string([]byte{b})
		if err := coord.CheckTag(tag); (err == nil) != want {
			t.Errorf("CheckTag(%q) = %v; want it accepted: %v", tag, err, want)
		}
	}
}

func TestSegmentRecordCheck(t *testing.T) {
	good := coord.SegmentRecord{MaxID: 1, Step: 1000, Description: "orders", UpdateTime: 1764806400000}
	with := func(edit func(*coord.SegmentRecord)) coord.SegmentRecord {
		r := good
		edit(&r)
		return r
	}
	tests := []struct {
		name string
		r    coord.SegmentRecord
		want string // a part of the error; empty: accepted
	}{
		{"good", good, ""},
		{"max_id 0", with(func(r *coord.SegmentRecord) { r.MaxID = 0 }), ""},
		{"max_id 2^63-1", with(func(r *coord.SegmentRecord) { r.MaxID = math.MaxInt64 }), ""},
		{"negative max_id", with(func(r *coord.SegmentRecord) { r.MaxID = -1 }), "max_id -1 is negative"},
		{"smallest max_id", with(func(r *coord.SegmentRecord) { r.MaxID = math.MinInt64 }), "is negative"},
		{"step 1", with(func(r *coord.SegmentRecord) { r.Step = 1 }), ""},
		{"step 0", with(func(r *coord.SegmentRecord) { r.Step = 0 }), "step 0 is outside"},
		{"negative step", with(func(r *coord.SegmentRecord) { r.Step = -5 }), "step -5 is outside"},
		{"largest step", with(func(r *coord.SegmentRecord) { r.Step = coord.MaxSegmentStep }), ""},
		{"step over the largest", with(func(r *coord.SegmentRecord) { r.Step = coord.MaxSegmentStep + 1 }), "is outside"},
		{"longest description", with(func(r *coord.SegmentRecord) { r.Description = strings.Repeat("x", coord.MaxDescriptionBytes) }), ""},
		{"description too long", with(func(r *coord.SegmentRecord) { r.Description = strings.Repeat("x", coord.MaxDescriptionBytes+1) }), "description is"},
	}
	const key = "segments/orders"
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.r.Check(key)
			checkRecordErr(t, "Check", err, key, tt.want)
		})
	}
}

func TestDecodeSegment(t *testing.T) {
	good := coord.SegmentRecord{MaxID: 2001, Step: 1000, Description: "order numbers", UpdateTime: 1764806400000}
	tests := []struct {
		name, data string
		want       string // a part of the error; empty: decodes to good
	}{
		{"as encoded", string(good.Encode()), ""},
		{"as written by hand", `{"max_id": 2001, "step": 1000, "description": "order numbers", "update_time": 1764806400000}`, ""},
		{"fields in another order", `{"update_time":1764806400000,"description":"order numbers","step":1000,"max_id":2001}`, ""},
		{"an unknown field", `{"max_id":2001,"step":1000,"description":"order numbers","update_time":1764806400000,"owner":"billing"}`, ""},
		{"trailing white space", string(good.Encode()) + " \n\t", ""},
		{"negative max_id", `{"max_id":-1,"step":1000}`, "max_id -1 is negative"},
		{"step 0", `{"max_id":1,"step":0}`, "step 0 is outside"},
		{"no step", `{"max_id":1}`, "step 0 is outside"},
		{"step over the largest", `{"max_id":1,"step":1000000001}`, "step 1000000001 is outside"},
		{"description too long", `{"max_id":1,"step":1,"description":"` + strings.Repeat("x", coord.MaxDescriptionBytes+1) + `"}`, "description is"},
		{"a second record after it", string(good.Encode()) + string(good.Encode()), "data after its record"},
		{"text after it", string(good.Encode()) + " max_id=5", "data after its record"},
		{"a stray brace after it", string(good.Encode()) + "}", "data after its record"},
		{"not JSON", "max_id=2001 step=1000", "is not a segment record"},
		{"empty", "", "is not a segment record"},
		{"cut short", `{"max_id":2001,"step":10`, "is not a segment record"},
		{"an array", `[2001,1000]`, "is not a segment record"},
		{"a number", `2001`, "is not a segment record"},
		{"null", `null`, "step 0 is outside"},
		{"max_id past int64", `{"max_id":9223372036854775808,"step":1000}`, "is not a segment record"},
		{"max_id far past int64", `{"max_id":18446744073709551617,"step":1000}`, "is not a segment record"},
		{"max_id below int64", `{"max_id":-9223372036854775809,"step":1000}`, "is not a segment record"},
		{"max_id as a fraction", `{"max_id":1.5,"step":1000}`, "is not a segment record"},
		{"max_id with an exponent", `{"max_id":1e3,"step":1000}`, "is not a segment record"},
		{"max_id as a string", `{"max_id":"2001","step":1000}`, "is not a segment record"},
		{"step past int64", `{"max_id":1,"step":99999999999999999999}`, "is not a segment record"},
	}
	const key = "/idcoord/prod/segments/orders"
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := coord.DecodeSegment(key, []byte(tt.data))
			checkRecordErr(t, "DecodeSegment", err, key, tt.want)
			switch {
			case tt.want == "" && r != good:
				t.Fatalf("DecodeSegment = %+v; want %+v", r, good)
			case tt.want != "" && r != (coord.SegmentRecord{}):
				t.Fatalf("DecodeSegment returned %+v with its error", r)
			}
		})
	}
}

// checkRecordErr fails the test unless err is nil when want is empty, or
// else wraps ErrBadRecord, names key and says want.
func checkRecordErr(t *testing.T, what string, err error, key, want string) {
	t.Helper()
	switch {
	case want == "" && err != nil:
		t.Fatalf("%s: %v; want no error", what, err)
	case want == "":
	case !errors.Is(err, coord.ErrBadRecord):
		t.Fatalf("%s: %v; want an error wrapping ErrBadRecord", what, err)
	case !strings.Contains(err.Error(), key) || !strings.Contains(err.Error(), want):
		t.Fatalf("%s: %v; want it to name %s and say %q", what, err, key, want)
	}
}

// TestSegmentEncode checks the stored form: one JSON object with the fields
// Leaf's leaf_alloc table has, max_id, step, description and update_time.
func TestSegmentEncode(t *testing.T) {
	r := coord.SegmentRecord{MaxID: math.MaxInt64, Step: coord.MaxSegmentStep, Description: `"quoted" <b>`, UpdateTime: 1764806400000}
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(r.Encode(), &fields); err != nil {
		t.Fatalf("Encode = %s: %v", r.Encode(), err)
	}
	var names []string
	for k := range fields {
		names = append(names, k)
	}
	slices.Sort(names)
	if want := []string{"description", "max_id", "step", "update_time"}; !slices.Equal(names, want) {
		t.Fatalf("Encode has the fields %q; want %q", names, want)
	}
	if got := string(fields["max_id"]); got != "9223372036854775807" {
		t.Fatalf("max_id is encoded as %s; want the plain integer", got)
	}
	back, err := coord.DecodeSegment("segments/t", r.Encode())
	if err != nil || back != r {
		t.Fatalf("DecodeSegment(Encode(%+v)) = %+v, %v", r, back, err)
	}
}

func FuzzDecodeSegment(f *testing.F) {
	f.Add(coord.SegmentRecord{MaxID: 1, Step: 1000, Description: "orders", UpdateTime: 1764806400000}.Encode())
	f.Add(coord.SegmentRecord{MaxID: math.MaxInt64, Step: coord.MaxSegmentStep}.Encode())
	f.Add([]byte(`{"max_id":9223372036854775808,"step":1000}`))
	f.Add([]byte(`{"max_id":-1,"step":1000}`))
	f.Add([]byte(`{"max_id":1,"step":1,"description":"\u00e9\ud800"}`))
	f.Add([]byte(`{"max_id":1,"step":1} {}`))
	f.Add([]byte(`null`))
	f.Add([]byte("\xff\xfe"))
	const key = "/idcoord/c/segments/t"
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := coord.DecodeSegment(key, data)
		if err != nil {
			if !errors.Is(err, coord.ErrBadRecord) || !strings.Contains(err.Error(), key) {
				t.Fatalf("error %v does not wrap ErrBadRecord or does not name %s", err, key)
			}
			if r != (coord.SegmentRecord{}) {
				t.Fatalf("DecodeSegment returned %+v with its error", r)
			}
			return
		}
		if err := r.Check(key); err != nil {
			t.Fatalf("DecodeSegment accepted %+v, which Check refuses: %v", r, err)
		}
		again, err := coord.DecodeSegment(key, r.Encode())
		if err != nil || again != r {
			t.Fatalf("%+v encodes to %s, which decodes to %+v, %v", r, r.Encode(), again, err)
		}
	})
}
