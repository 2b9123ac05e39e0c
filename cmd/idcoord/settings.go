package main

import (
	"io/fs"
	"slices"
	"time"

	"github.com/idcoord/idcoord"
	etcd "github.com/idcoord/idcoord/coord/etcd"
	"github.com/idcoord/idcoord/coord/segment"
	"github.com/idcoord/idcoord/coord/store"
	zkcoord "github.com/idcoord/idcoord/coord/zk"
	"github.com/idcoord/idcoord/sidecar"
	"github.com/idcoord/idcoord/snowflake"
)

// Values of coord and zk.mode.
const (
	coordEtcd     = string(store.KindEtcd)
	coordZK       = string(store.KindZooKeeper)
	coordEmbedded = string(store.KindEmbedded)

	zkSequential = string(zkcoord.ModeSequential)
	zkEphemeral  = string(zkcoord.ModeEphemeral)
)

// The allowed values of coord, zk.mode, log.level and log.format.
var (
	coordNames = []string{coordEtcd, coordZK, coordEmbedded}
	zkModes    = []string{zkSequential, zkEphemeral}
	logLevels  = []string{"debug", "info", "warn", "error"}
	logFormats = []string{"json", "console"}
)

// settings is the typed, validated configuration that commands read:
// defaults filled in (node.name from the hostname, zk.leaf-name from the
// cluster), durations parsed, the layout built from its preset and overrides.
// Commands get it from config.Settings and never read flags, env or the file.
type settings struct {
	Coord    string // coordEtcd, coordZK or coordEmbedded
	Cluster  string // namespace inside the store; a name coord.CheckName accepts
	NodeName string // this node's identity; a name coord.CheckName accepts
	Etcd     etcdSettings
	ZK       zkSettings
	LeaseTTL time.Duration // as etcd.CheckTTL accepts it
	// Reserved WorkerIds, sorted, without duplicates, each inside the layout.
	Reserved []int64
	Socket   socketSettings
	MaxBatch int // as sidecar.CheckMaxBatch accepts it
	Admin    adminSettings
	// SegmentMaxStep caps segment mode's dynamic step, as
	// segment.CheckMaxStep accepts it.
	SegmentMaxStep int64
	// LeafAddr is the Leaf-compatible API's host:port; empty means off.
	LeafAddr string
	// LayoutPreset names the preset Layout started from.
	LayoutPreset string
	// Layout is the preset with the layout.* overrides applied. It passes
	// snowflake's ValidateShape; it is not checked against the current time,
	// so that old IDs of an ended layout still decode. Commands that issue
	// IDs must call ValidateLayout.
	Layout snowflake.Layout
	// layoutFrom says where Layout came from, for error messages: "preset
	// twitter", or "preset twitter with layout.time-bits=40 (flag
	// --layout.time-bits)".
	layoutFrom string
	// DatacenterID is this cluster's datacenter, inside the layout's
	// datacenter field (only 0 when the layout has none).
	DatacenterID int64
	Clock        clockSettings
	// DataDir holds the embedded etcd's data.
	DataDir string
	Log     logSettings
}

// etcdSettings configure the etcd client. File paths are not opened here.
type etcdSettings struct {
	Endpoints    []string // at least one
	Username     string
	PasswordFile string
	CAFile       string
	CertFile     string // set together with KeyFile, or neither
	KeyFile      string
}

// zkSettings configure the ZooKeeper client.
type zkSettings struct {
	Servers        []string      // at least one
	Mode           string        // zkSequential or zkEphemeral
	SessionTimeout time.Duration // as zkcoord.CheckSessionTimeout accepts it
	AuthFile       string
	LeafName       string // the cluster name unless set
}

// socketSettings configure the Unix socket of the sidecar.
type socketSettings struct {
	Path string      // as sidecar.CheckSocketPath accepts it
	Mode fs.FileMode // as sidecar.CheckSocketMode accepts it
	// AllowedUIDs, if not nil, are the only peer uids that may connect, as
	// in sidecar.Config: nil when the key lists none.
	AllowedUIDs []uint32
	MaxConns    int           // as sidecar.CheckMaxConns accepts it
	IdleTimeout time.Duration // > 0
	ReadTimeout time.Duration // > 0
	// MaxRequestBytes bounds a line-protocol request, as
	// sidecar.CheckMaxLineBytes accepts it.
	MaxRequestBytes int
}

// adminSettings configure the admin TCP listener.
type adminSettings struct {
	Addr string // host:port; the host may be empty
	// Advertise is the address peers reach the admin listener at; empty
	// means worked out by adminAdvertise when it is needed.
	Advertise string
}

// clockSettings configure the clock guard.
type clockSettings struct {
	MaxDrift        time.Duration         // > 0
	MaxBackwardWait time.Duration         // >= 0; 0 means no backward step is waited out
	MaxStartupWait  time.Duration         // >= 0
	LargeRollback   idcoord.LargeRollback // a policy idcoord.LargeRollback.Validate accepts
}

// logSettings configure the zap logger that main builds.
type logSettings struct {
	Level  string // one of logLevels
	Format string // one of logFormats
}

// buildSettings parses and validates resolved values. hostname gives the
// default node.name. The error names the first bad key, its value and where
// the value came from.
func buildSettings(vals []resolved, hostname func() (string, error)) (*settings, error) {
	b := newSettingsBuilder(vals)
	s := &settings{
		Coord:    b.oneOf("coord", coordNames),
		Cluster:  b.name("cluster"),
		NodeName: b.text("node.name"),
		Etcd: etcdSettings{
			Endpoints:    b.addrs("etcd.endpoints"),
			Username:     b.text("etcd.username"),
			PasswordFile: b.text("etcd.password-file"),
			CAFile:       b.text("etcd.ca-file"),
			CertFile:     b.text("etcd.cert-file"),
			KeyFile:      b.text("etcd.key-file"),
		},
		ZK: zkSettings{
			Servers:        b.addrs("zk.servers"),
			Mode:           b.oneOf("zk.mode", zkModes),
			SessionTimeout: checked(b, "zk.session-timeout", b.duration("zk.session-timeout", anyDuration), zkcoord.CheckSessionTimeout),
			AuthFile:       b.text("zk.auth-file"),
			LeafName:       b.text("zk.leaf-name"),
		},
		LeaseTTL: checked(b, "lease.ttl", b.duration("lease.ttl", anyDuration), etcd.CheckTTL),
		Socket: socketSettings{
			Path:            checked(b, "socket", b.text("socket"), sidecar.CheckSocketPath),
			Mode:            checked(b, "socket.mode", b.fileMode("socket.mode"), sidecar.CheckSocketMode),
			AllowedUIDs:     b.uids("socket.allowed-uids"),
			MaxConns:        checked(b, "socket.max-conns", b.int("socket.max-conns"), sidecar.CheckMaxConns),
			IdleTimeout:     b.duration("socket.idle-timeout", positive),
			ReadTimeout:     b.duration("socket.read-timeout", positive),
			MaxRequestBytes: checked(b, "socket.max-request-bytes", b.int("socket.max-request-bytes"), sidecar.CheckMaxLineBytes),
		},
		MaxBatch: checked(b, "max-batch", b.int("max-batch"), sidecar.CheckMaxBatch),
		Admin: adminSettings{
			Addr:      b.listenAddr("admin.addr"),
			Advertise: b.advertiseAddr("admin.advertise"),
		},
		SegmentMaxStep: checked(b, "segment.max-step", int64(b.int("segment.max-step")), segment.CheckMaxStep),
		LeafAddr:       b.optionalListenAddr("leaf.addr"),
		Clock: clockSettings{
			MaxDrift:        b.duration("clock.max-drift", positive),
			MaxBackwardWait: b.duration("clock.max-backward-wait", nonNegative),
			MaxStartupWait:  b.duration("clock.max-startup-wait", nonNegative),
			LargeRollback:   b.largeRollback("clock.large-rollback"),
		},
		DataDir: b.nonEmpty("data-dir"),
		Log: logSettings{
			Level:  b.oneOf("log.level", logLevels),
			Format: b.oneOf("log.format", logFormats),
		},
	}
	if s.NodeName == "" && b.err == nil {
		h, err := hostname()
		if err != nil {
			b.failf("node.name", "no hostname to default to (%v); set node.name", err)
		}
		s.NodeName = h
	}
	b.checkName("node.name", s.NodeName)
	if s.ZK.LeafName == "" {
		s.ZK.LeafName = s.Cluster
	}
	b.checkName("zk.leaf-name", s.ZK.LeafName)
	if (s.Etcd.CertFile == "") != (s.Etcd.KeyFile == "") {
		b.failf("etcd.cert-file", "etcd.cert-file and etcd.key-file go together; set both or neither")
	}
	s.LayoutPreset, s.Layout, s.layoutFrom = b.layout()
	s.DatacenterID = b.datacenterID("datacenter.id", s.Layout)
	s.Reserved = b.reserved("worker.reserved", s.Layout)
	if b.err != nil {
		return nil, b.err
	}
	return s, nil
}

// reserved parses worker.reserved: WorkerIds of layout l, as
// snowflake's ValidateReserved accepts them, sorted and without duplicates.
func (b *settingsBuilder) reserved(name string, l snowflake.Layout) []int64 {
	ids := b.ints(name)
	if b.err != nil {
		return nil // the layout, too, may be bad
	}
	if err := l.ValidateReserved(ids); err != nil {
		b.fail(name, err)
		return nil
	}
	slices.Sort(ids)
	return slices.Compact(ids)
}
