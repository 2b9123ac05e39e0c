package scale

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"go.uber.org/zap"

	"github.com/idcoord/idcoord/coord"
	zkcoord "github.com/idcoord/idcoord/coord/zk"
	"github.com/idcoord/idcoord/testsupport/zktest"
)

// zkStore is one standalone ZooKeeper server; its counters come from mntr.
type zkStore struct {
	srv     *zktest.Server
	cluster string
	version string
}

func (s *zkStore) name() string { return "ZooKeeper " + s.version }

// newBackend opens a client in ephemeral mode: WorkerIds are recycled when
// a session ends, as a fleet that comes and goes needs.
func (s *zkStore) newBackend(ctx context.Context, log *zap.Logger) (coord.Backend, error) {
	return zkcoord.New(ctx, zkcoord.Config{Servers: []string{s.srv.Addr()}, Cluster: s.cluster,
		Mode: zkcoord.ModeEphemeral, Logger: log})
}

func (s *zkStore) sample(ctx context.Context) (storeSample, error) {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	figures, err := s.srv.Monitor(ctx)
	if err != nil {
		return storeSample{}, err
	}
	at := time.Now() // when the server answered, a moment after it counted
	cpu, err := processCPU(s.srv.PID())
	if err != nil {
		return storeSample{}, fmt.Errorf("ZooKeeper CPU time: %w", err)
	}
	s.version = zkVersion(figures["zk_version"])
	return zkSample(at, cpu, figures)
}

// zkCounters are the mntr figures a sample reads: what each counts, under
// the name the report gives it. Writes and reads are counted where the
// server finishes a request (a read is any request without a
// transaction: pings and syncs too). getChildren and getData are the
// lookups of the server's response caches, hit or miss: one per
// getChildren2 or getData answered.
var zkCounters = map[string][]string{
	"packets":     {"zk_packets_received"},
	"write":       {"zk_cnt_updatelatency"},
	"read":        {"zk_cnt_readlatency"},
	"getChildren": {"zk_response_packet_get_children_cache_hits", "zk_response_packet_get_children_cache_misses"},
	"getData":     {"zk_response_packet_cache_hits", "zk_response_packet_cache_misses"},
}

// zkGauges are the mntr figures that do not accumulate.
var zkGauges = map[string]string{
	"connections": "zk_num_alive_connections",
	"znodes":      "zk_znode_count",
	"ephemerals":  "zk_ephemerals_count",
	"watches":     "zk_watch_count",
}

func zkSample(at time.Time, cpu time.Duration, figures map[string]string) (storeSample, error) {
	out := storeSample{at: at, cpu: cpu, kinds: map[string]float64{}, gauges: map[string]float64{}}
	number := func(name string) (float64, error) {
		v, err := strconv.ParseFloat(figures[name], 64)
		if err != nil {
			return 0, fmt.Errorf("ZooKeeper mntr %s = %q: %w", name, figures[name], err)
		}
		return v, nil
	}
	for kind, names := range zkCounters {
		for _, name := range names {
			v, err := number(name)
			if err != nil {
				return out, err
			}
			out.kinds[kind] += v
		}
	}
	for kind, name := range zkGauges {
		v, err := number(name)
		if err != nil {
			return out, err
		}
		out.gauges[kind] = v
	}
	out.writes, out.requests = out.kinds["write"], out.kinds["packets"]
	delete(out.kinds, "packets")
	return out, nil
}

// zkVersion takes "3.8.0" from mntr's "3.8.0-<commit>, built on ...".
func zkVersion(s string) string {
	for i, r := range s {
		if r != '.' && (r < '0' || r > '9') {
			return s[:i]
		}
	}
	return s
}

// listingNote: in the steady state only the clock checks ask for children
// (getChildren of leaf_temporary), and each reads the data of the children
// it samples.
func (s *zkStore) listingNote(r rates, nodes int) string {
	lists, gets := r.kinds["getChildren"], r.kinds["getData"]
	perList := "-"
	if lists > 0 {
		perList = group(gets/lists, 0)
	}
	return fmt.Sprintf("%s getChildren/s (%s per node) and %s getData/s, %s getData per listing (the sample) of %s leaf_temporary records",
		group(lists, 1), group(lists/float64(nodes), 3), group(gets, 0), perList, group(float64(nodes), 0))
}
