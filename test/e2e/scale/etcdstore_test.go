package scale

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"time"

	"go.uber.org/zap"

	"github.com/idcoord/idcoord/coord"
	"github.com/idcoord/idcoord/coord/etcd"
	"github.com/idcoord/idcoord/testsupport/etcdtest"
)

// etcdStore is one etcd binary process; its counters come from the
// /metrics it serves on its client URL.
type etcdStore struct {
	srv     *etcdtest.Server
	cluster string
	version string
}

func (s *etcdStore) name() string { return "etcd " + s.version }

func (s *etcdStore) newBackend(ctx context.Context, log *zap.Logger) (coord.Backend, error) {
	return etcd.New(ctx, etcd.Config{Endpoints: s.srv.Endpoints(), Cluster: s.cluster, Logger: log})
}

func (s *etcdStore) sample(ctx context.Context) (storeSample, error) {
	text, err := s.metrics(ctx)
	if err != nil {
		return storeSample{}, err
	}
	all, err := parseExposition(text)
	if err != nil {
		return storeSample{}, fmt.Errorf("etcd /metrics: %w", err)
	}
	at := time.Now() // when the server answered, a moment after it counted
	cpu, err := processCPU(s.srv.PID())
	if err != nil {
		return storeSample{}, fmt.Errorf("etcd CPU time: %w", err)
	}
	return etcdSample(at, cpu, all, &s.version)
}

// etcdSample reads a sample from etcd's series: writes from the store
// revision (every write is one revision; a failed compare writes none),
// requests from the gRPC messages received by method, which counts each
// lease keepalive and watch request on its stream.
func etcdSample(at time.Time, cpu time.Duration, all []series, version *string) (storeSample, error) {
	out := storeSample{at: at, cpu: cpu, kinds: map[string]float64{}, gauges: map[string]float64{}}
	haveRevision := false
	for _, s := range all {
		switch s.name {
		case "etcd_debugging_mvcc_current_revision":
			out.writes, haveRevision = s.value, true
		case "grpc_server_msg_received_total":
			out.requests += s.value
			out.kinds[s.labels["grpc_method"]] += s.value
		case "etcd_debugging_mvcc_keys_total":
			out.gauges["keys"] = s.value
		case "etcd_debugging_snap_save_total_duration_seconds_count":
			// One every --snapshot-count (100,000) raft entries: shown
			// because a snapshot can stall a busy single member.
			out.gauges["raft snapshots saved since start"] = s.value
		case "etcd_server_version":
			*version = s.labels["server_version"]
		}
	}
	if !haveRevision {
		return out, fmt.Errorf("etcd /metrics has no etcd_debugging_mvcc_current_revision")
	}
	return out, nil
}

func (s *etcdStore) metrics(ctx context.Context) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.srv.ClientURL()+"/metrics", nil)
	if err != nil {
		return "", err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return "", fmt.Errorf("etcd /metrics: %w", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 16<<20))
	if err != nil || resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("etcd /metrics: HTTP %d, %v", resp.StatusCode, err)
	}
	return string(body), nil
}

// listingNote: a node lists every peer record (a Range) only where it
// cannot sample yet; its clock checks sample in one read-only transaction
// (counted with Txn, beside the W raises) of 2k + 3 small reads.
func (s *etcdStore) listingNote(r rates, nodes int) string {
	ranges := r.kinds["Range"]
	return fmt.Sprintf("%s Range requests/s (%s per node; a census of the %s leaf_temporary records each, where a node cannot sample); the clock checks' samples are read-only transactions counted with Txn",
		group(ranges, 1), group(ranges/float64(nodes), 3), group(float64(nodes), 0))
}
