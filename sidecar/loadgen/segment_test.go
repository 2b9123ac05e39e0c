package loadgen

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/idcoord/idcoord/sidecar"
	"github.com/idcoord/idcoord/sidecar/testserver"
)

// TestRunSegments runs short segment loads of both protocols and checks
// that every answer held IDs of the tag, increasing on each connection.
func TestRunSegments(t *testing.T) {
	ts := testserver.Start(t, sidecar.Config{MaxBatch: 1000})
	var total int64
	for _, protocol := range []string{ProtocolLine, ProtocolHTTP} {
		for _, batch := range []int{1, 700} {
			g, err := Dial(context.Background(), Config{Path: ts.Path, Protocol: protocol, Conns: 4, Batch: batch, Tag: testserver.Tag, Duration: 250 * time.Millisecond})
			if err != nil {
				t.Fatal(err)
			}
			r := g.Run(context.Background(), nil)
			if r.Tag != testserver.Tag || r.Requests <= 0 || r.IDs != r.Requests*int64(batch) || r.Errors != 0 || r.Violations != 0 {
				t.Errorf("%s batch %d: tag %q, %d requests, %d IDs, %d errors %v, %d violations",
					protocol, batch, r.Tag, r.Requests, r.IDs, r.Errors, r.FirstErrors, r.Violations)
			}
			total += r.IDs
		}
	}
	// Requests cut off at the end of a run were issued but not counted.
	if issued := ts.Segments.Issued(testserver.Tag); issued < total {
		t.Fatalf("the source issued %d IDs of the tag, the loads counted %d", issued, total)
	}
}

func TestRunUnknownTag(t *testing.T) {
	ts := testserver.Start(t, sidecar.Config{})
	for _, protocol := range []string{ProtocolLine, ProtocolHTTP} {
		g, err := Dial(context.Background(), Config{Path: ts.Path, Protocol: protocol, Conns: 2, Tag: "nope", Duration: 200 * time.Millisecond})
		if err != nil {
			t.Fatal(err)
		}
		r := g.Run(context.Background(), nil)
		if r.Requests != 0 || r.Errors == 0 || r.Errors != r.ErrorKinds["notfound"] || !strings.Contains(r.FirstErrors["notfound"], `"nope"`) {
			t.Errorf("%s: %d requests, errors %v %v; want only notfound, naming the tag", protocol, r.Requests, r.ErrorKinds, r.FirstErrors)
		}
	}
}

func TestBadTag(t *testing.T) {
	for _, tag := range []string{"a b", "a/b", strings.Repeat("t", 129), "é", ".."} {
		g, err := Dial(context.Background(), Config{Path: "/nonexistent.sock", Tag: tag})
		if g != nil || !errors.Is(err, ErrBadConfig) {
			t.Errorf("tag %q: Dial = %v, %v; want ErrBadConfig", tag, g, err)
		}
	}
}
