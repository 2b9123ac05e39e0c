package e2e

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"
)

// segScript builds segment load logs by hand for TestSegmentChecker: two
// nodes, two connection slots each, tags "a" and "b"; every node's second
// incarnation was launched at 5s.
type segScript struct {
	f *fleet
}

func newSegScript(t *testing.T) *segScript {
	f := &fleet{t: t, segTags: []string{"a", "b"}}
	for i := range 2 {
		n := &fleetNode{f: f, name: fmt.Sprintf("node-%d", i)}
		n.mu.launches = []time.Duration{0, 5 * time.Second}
		f.nodes = append(f.nodes, n)
		f.segLogs = append(f.segLogs, []*segLog{{}, {}})
		f.samples = append(f.samples, &sampleLog{})
	}
	return &segScript{f: f}
}

func sec(s float64) time.Duration { return time.Duration(s * float64(time.Second)) }

// ids logs an answer of ids to a request for them on node's slot (its
// connection number is the slot's, plus 10 per incarnation).
func (s *segScript) ids(node, slot, tag int, inc int64, sent, at float64, ids ...int64) {
	l := s.f.segLogs[node][slot]
	l.recs = append(l.recs, segRec{segReq: segReq{Sent: sec(sent), Tag: tag, N: len(ids)}, At: sec(at), Inc: inc,
		Conn: int64(slot) + 10*inc, First: len(l.ids)})
	l.ids = append(l.ids, ids...)
}

func (s *segScript) err(node, slot, tag int, inc int64, sent, at float64, n int, code string) {
	l := s.f.segLogs[node][slot]
	l.errs = append(l.errs, segErr{segReq: segReq{Sent: sec(sent), Tag: tag, N: n}, At: sec(at), Inc: inc,
		Conn: int64(slot) + 10*inc, Code: code, Msg: "test"})
}

func (s *segScript) lost(node, slot, tag int, inc int64, sent, end float64) {
	l := s.f.segLogs[node][slot]
	l.lost = append(l.lost, segLost{segReq: segReq{Sent: sec(sent), Tag: tag, N: 1}, End: sec(end), Inc: inc, Conn: int64(slot) + 10*inc})
}

// clean is a run with nothing wrong: the nodes interleave segments of both
// tags, node-1 restarts at 5s above everything read before, and node-0
// runs out of IDs in an outage.
func (s *segScript) clean() {
	s.ids(0, 0, 0, 1, 1.0, 1.1, 1, 2, 3)
	s.ids(1, 0, 0, 1, 1.0, 1.2, 51, 52)
	s.ids(0, 1, 0, 1, 1.2, 1.3, 4, 5) // sent after 1..3 was read
	s.ids(0, 0, 0, 1, 1.15, 1.4, 6)   // the slot's next request
	s.ids(1, 1, 0, 1, 1.3, 1.35, 53)
	s.ids(0, 0, 1, 1, 1.0, 1.1, 1, 2)
	s.ids(1, 0, 1, 1, 1.0, 1.1, 51)
	s.ids(1, 0, 0, 2, 5.5, 5.6, 101, 102)
	s.ids(1, 1, 0, 2, 5.6, 5.7, 103)
	s.ids(0, 0, 0, 1, 10.5, 10.6, 7, 8)
	s.err(0, 0, 0, 1, 12.0, 13.0, 2, "UNAVAILABLE")
	s.ids(0, 0, 1, 1, 12.0, 12.1, 3) // the other tag still had IDs
	s.err(0, 1, 0, 1, 13.5, 14.5, 1, "UNAVAILABLE")
	s.lost(1, 0, 0, 2, 6.0, 6.5) // a killed node
	s.f.storeOutage("test outage", sec(10), sec(20), 0)
	// node-0 holds 2 IDs of a and 5 of b 1s into the outage.
	s.f.samples[0].s = []statusSample{{Sent: sec(11.0), At: sec(11.1), Incarnation: 1, Segments: map[string]int64{"a": 2, "b": 5}}}
}

func (s *segScript) record(tag string) (segmentShow, error) {
	return segmentShow{Tag: tag, MaxID: 151, Step: 50}, nil
}

// TestSegmentChecker feeds the segment checker logs with one fault each
// and checks that it flags that fault, and nothing in a clean run.
func TestSegmentChecker(t *testing.T) {
	for _, tt := range []struct {
		name  string
		fault func(s *segScript)
		want  func(v segVerdict) int // the count the fault must raise
		evid  string                 // a word the evidence must hold
	}{
		{"clean", func(*segScript) {}, func(v segVerdict) int { return v.violations() + v.Duplicates }, ""},
		{"duplicate across nodes", func(s *segScript) { s.ids(1, 0, 1, 1, 2.0, 2.1, 2) },
			func(v segVerdict) int { return v.Duplicates }, "duplicate ID 2"},
		{"decrease inside an answer", func(s *segScript) { s.ids(1, 0, 1, 1, 2.0, 2.1, 60, 59) },
			func(v segVerdict) int { return v.Order }, "inside the answer"},
		{"decrease on a connection", func(s *segScript) {
			s.ids(1, 0, 1, 1, 2.0, 2.5, 60)
			s.ids(1, 0, 1, 1, 2.1, 2.6, 59) // pipelined: sent before 60 was read
		}, func(v segVerdict) int { return v.Order }, "on the connection"},
		{"decrease across connections", func(s *segScript) {
			s.ids(1, 0, 1, 1, 2.0, 2.1, 60)
			s.ids(1, 1, 1, 1, 2.2, 2.3, 55)
		}, func(v segVerdict) int { return v.Order }, "before this request was sent"},
		{"restart below an earlier ID", func(s *segScript) { s.ids(0, 0, 1, 2, 6.0, 6.1, 40) },
			func(v segVerdict) int { return v.Restart }, "launched at 5s"},
		{"ID at max_id", func(s *segScript) { s.ids(1, 0, 1, 1, 2.0, 2.1, 151) },
			func(v segVerdict) int { return v.Range }, "max_id 151"},
		{"ID zero", func(s *segScript) { s.ids(1, 1, 1, 1, 0.5, 0.6, 0) },
			func(v segVerdict) int { return v.Range }, "ID 0"},
		{"slow answer", func(s *segScript) { s.err(1, 1, 1, 1, 2.0, 7.5, 3, "UNAVAILABLE") },
			func(v segVerdict) int { return v.Hangs }, "over 5s"},
		{"no answer before the end", func(s *segScript) { s.lost(1, 1, 1, 1, 2.0, 8.0) },
			func(v segVerdict) int { return v.Hangs }, "unanswered"},
		{"unknown tag", func(s *segScript) { s.err(1, 1, 1, 1, 2.0, 2.1, 3, "NOTFOUND") },
			func(v segVerdict) int { return v.Protocol }, "NOTFOUND"},
		{"refused while loaded", func(s *segScript) { s.ids(0, 1, 0, 1, 13.1, 13.2, 9, 10) },
			func(v segVerdict) int { return v.Refused }, "had them loaded"},
		{"more served in an outage than loaded", func(s *segScript) { s.ids(0, 1, 1, 1, 15.0, 15.1, 4, 5, 6, 7, 8) },
			func(v segVerdict) int { return v.Overrun }, "held 5 IDs"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			s := newSegScript(t)
			s.clean()
			tt.fault(s)
			var v verdict
			s.f.checkSegments(&v, s.record)
			got := tt.want(v.Seg)
			if tt.evid == "" {
				if got != 0 {
					t.Errorf("clean logs: %d violations: %+v\n%s", got, v.Seg, strings.Join(v.Evidence, "\n"))
				}
				if v.Seg.DownIDs != 3 || v.Seg.DownUNA != 2 || v.Seg.Dropped != 1 {
					t.Errorf("outage: %d IDs, %d UNAVAILABLE, %d dropped; want 3, 2, 1", v.Seg.DownIDs, v.Seg.DownUNA, v.Seg.Dropped)
				}
				return
			}
			if got != 1 {
				t.Errorf("count %d, want 1: %+v", got, v.Seg)
			}
			if !strings.Contains(strings.Join(v.Evidence, "\n"), tt.evid) {
				t.Errorf("no evidence naming %q:\n%s", tt.evid, strings.Join(v.Evidence, "\n"))
			}
		})
	}
}

// TestSegmentCheckerPause checks that time a node spent stopped by the
// test does not count as a hang, and that an unreadable record does.
func TestSegmentCheckerPause(t *testing.T) {
	s := newSegScript(t)
	s.clean()
	s.err(1, 1, 1, 1, 2.0, 9.0, 3, "UNAVAILABLE")
	n := s.f.nodes[1]
	n.mu.pauses = []pause{{From: sec(2.5), To: sec(8.0)}}
	var v verdict
	s.f.checkSegments(&v, func(tag string) (segmentShow, error) {
		if tag == "b" {
			return segmentShow{}, errors.New("store down")
		}
		return s.record(tag)
	})
	if v.Seg.Hangs != 0 {
		t.Errorf("%d hangs for a 7s wait of which 5.5s stopped:\n%s", v.Seg.Hangs, strings.Join(v.Evidence, "\n"))
	}
	if v.Seg.MaxWait != sec(1.5) {
		t.Errorf("max wait %s, want 1.5s", v.Seg.MaxWait)
	}
	if v.Seg.Protocol != 1 {
		t.Errorf("unreadable record: protocol %d, want 1", v.Seg.Protocol)
	}
}
