package main

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/idcoord/idcoord"
	"github.com/idcoord/idcoord/coord"
	etcd "github.com/idcoord/idcoord/coord/etcd"
	"github.com/idcoord/idcoord/coord/segment"
	"github.com/idcoord/idcoord/coord/store"
	zkcoord "github.com/idcoord/idcoord/coord/zk"
	"github.com/idcoord/idcoord/sidecar"
	"github.com/idcoord/idcoord/snowflake"
)

// key declares one configuration key. The name is the flag name
// (--etcd.endpoints) and the YAML path (etcd: {endpoints: ...}); the
// environment variable is derived from it (see envName).
type key struct {
	name string
	// list keys take comma-separated text from flags and env, and a YAML
	// list (or comma-separated text) from the file.
	list bool
	// def is the default as text; lists are comma-separated. An empty def
	// with a derived note means the value is worked out from other keys.
	def   string
	usage string
	// typ is the word --help shows for the value (--lease.ttl duration):
	// "duration", "int", ... Empty means "string", or "strings" for a list.
	// It only names the value; the value is kept as text and parsed by
	// buildSettings, whose parser it must describe.
	typ string
	// derived says, for print-config, where a default that is worked out
	// comes from ("hostname", "cluster", "preset").
	derived string
	// leaf is set for a key that is also the parent of other keys (socket,
	// socket.mode): as a YAML mapping the key's own value is stored under
	// this child name (socket: {path: ..., mode: ...}).
	leaf string
	// secret values are never printed.
	secret bool
	// show returns the key's effective value from validated settings, in a
	// form print-config can print and the file can read back: a string, an
	// int, an int64, or a []string / []int64.
	show func(s *settings) any
}

// keys is every configuration key, in the order print-config shows them.
var keys = []key{
	{name: "coord", def: coordEmbedded,
		usage: "coordination store: etcd, zk, or embedded (in-process single-node etcd, data in data-dir)",
		show:  func(s *settings) any { return s.Coord }},
	{name: "cluster", def: coord.DefaultCluster,
		usage: "namespace inside the store",
		show:  func(s *settings) any { return s.Cluster }},
	{name: "node.name", derived: "hostname",
		usage: "this node's identity (default: the hostname)",
		show:  func(s *settings) any { return s.NodeName }},

	{name: "etcd.endpoints", list: true, def: store.DefaultEtcdEndpoint,
		usage: "etcd client endpoints, comma-separated",
		show:  func(s *settings) any { return s.Etcd.Endpoints }},
	{name: "etcd.username",
		usage: "etcd user name",
		show:  func(s *settings) any { return s.Etcd.Username }},
	{name: "etcd.password-file", typ: "file",
		usage: "file holding the etcd password (the password itself is never a flag)",
		show:  func(s *settings) any { return s.Etcd.PasswordFile }},
	{name: "etcd.ca-file", typ: "file",
		usage: "CA bundle that verifies etcd's TLS certificate",
		show:  func(s *settings) any { return s.Etcd.CAFile }},
	{name: "etcd.cert-file", typ: "file",
		usage: "client TLS certificate for etcd (needs etcd.key-file)",
		show:  func(s *settings) any { return s.Etcd.CertFile }},
	{name: "etcd.key-file", typ: "file",
		usage: "client TLS key for etcd (needs etcd.cert-file)",
		show:  func(s *settings) any { return s.Etcd.KeyFile }},

	{name: "zk.servers", list: true, def: zkcoord.DefaultServer,
		usage: "ZooKeeper servers, comma-separated",
		show:  func(s *settings) any { return s.ZK.Servers }},
	{name: "zk.mode", def: string(zkcoord.DefaultMode),
		usage: "ZooKeeper mode: sequential (Leaf-compatible) or ephemeral (WorkerIds recycled)",
		show:  func(s *settings) any { return s.ZK.Mode }},
	{name: "zk.session-timeout", typ: "duration", def: durationText(zkcoord.DefaultSessionTimeout),
		usage: "ZooKeeper session timeout",
		show:  func(s *settings) any { return s.ZK.SessionTimeout.String() }},
	{name: "zk.auth-file", typ: "file",
		usage: "file holding ZooKeeper digest credentials",
		show:  func(s *settings) any { return s.ZK.AuthFile }},
	{name: "zk.leaf-name", derived: "cluster",
		usage: "the <leaf.name> path part of the Leaf-compatible mode (default: the cluster name)",
		show:  func(s *settings) any { return s.ZK.LeafName }},

	{name: "lease.ttl", typ: "duration", def: durationText(etcd.DefaultTTL),
		usage: "etcd lease TTL, whole seconds, at least " + durationText(etcd.MinTTL),
		show:  func(s *settings) any { return s.LeaseTTL.String() }},
	{name: "worker.reserved", list: true, def: intsText(snowflake.DefaultReserved),
		usage: "WorkerIds never handed out, comma-separated",
		show:  func(s *settings) any { return s.Reserved }},

	{name: "socket", typ: "path", leaf: "path", def: "/run/idcoord/idcoord.sock",
		usage: "Unix socket path; its folder is created 0750 if missing (YAML: socket: PATH or socket: {path: PATH})",
		show:  func(s *settings) any { return s.Socket.Path }},
	{name: "socket.mode", typ: "octal", def: formatMode(sidecar.DefaultSocketMode),
		usage: "file mode of the socket, in octal",
		show:  func(s *settings) any { return formatMode(s.Socket.Mode) }},
	{name: "socket.allowed-uids", list: true,
		usage: "if set, only peers with these uids may connect, comma-separated (default: any)",
		show:  func(s *settings) any { return append([]uint32{}, s.Socket.AllowedUIDs...) }}, // [], not null, for none
	{name: "socket.max-conns", typ: "int", def: strconv.Itoa(sidecar.DefaultMaxConns),
		usage: "most connections served at once; more are answered ERR UNAVAILABLE and closed",
		show:  func(s *settings) any { return s.Socket.MaxConns }},
	{name: "socket.idle-timeout", typ: "duration", def: durationText(sidecar.DefaultIdleTimeout),
		usage: "a connection that starts no request for this long is closed",
		show:  func(s *settings) any { return s.Socket.IdleTimeout.String() }},
	{name: "socket.read-timeout", typ: "duration", def: durationText(sidecar.DefaultReadTimeout),
		usage: "longest time from a request's first byte to its end (the line's newline, or the HTTP headers)",
		show:  func(s *settings) any { return s.Socket.ReadTimeout.String() }},
	{name: "socket.max-request-bytes", typ: "int", def: strconv.Itoa(sidecar.DefaultMaxLineBytes),
		usage: fmt.Sprintf("longest line-protocol request, %d to %d bytes; HTTP headers are capped at %d KiB",
			sidecar.MinMaxLineBytes, sidecar.MaxMaxLineBytes, sidecar.DefaultMaxHeaderBytes>>10),
		show: func(s *settings) any { return s.Socket.MaxRequestBytes }},
	{name: "max-batch", typ: "int", def: strconv.Itoa(sidecar.DefaultMaxBatch),
		usage: "most IDs in one request",
		show:  func(s *settings) any { return s.MaxBatch }},

	{name: "admin.addr", typ: "host:port", def: ":7070",
		usage: "admin TCP listener: /metrics, /healthz, /readyz, /clock, /status",
		show:  func(s *settings) any { return s.Admin.Addr }},
	{name: "admin.advertise", typ: "host:port",
		usage: "address peers use to reach the admin listener (default: admin.addr if it names a host, else $POD_IP:port, else the first non-loopback address)",
		show:  func(s *settings) any { return s.Admin.Advertise }},

	{name: "segment.max-step", typ: "int", def: strconv.Itoa(segment.DefaultMaxStep),
		usage: "largest dynamic step of segment mode: a node whose segments last under 15 minutes doubles its step up to this",
		show:  func(s *settings) any { return s.SegmentMaxStep }},
	{name: "leaf.addr", typ: "host:port",
		usage: "TCP listener of the Leaf-compatible HTTP API: /api/segment/get/<tag>, /api/snowflake/get/<key> (default: off)",
		show:  func(s *settings) any { return s.LeafAddr }},

	{name: "layout.preset", def: snowflake.DefaultPreset,
		usage: "ID layout preset: " + strings.Join(snowflake.PresetNames(), ", "),
		show:  func(s *settings) any { return s.LayoutPreset }},
	{name: "layout.epoch", typ: "time", derived: "preset",
		usage: "epoch of the layout, unix milliseconds or RFC 3339 (default: the preset's)",
		show:  func(s *settings) any { return formatTime(s.Layout.Epoch) }},
	{name: "layout.time-bits", typ: "int", derived: "preset",
		usage: "width of the time field (default: the preset's)",
		show:  func(s *settings) any { return s.Layout.TimeBits }},
	{name: "layout.time-unit", typ: "duration", derived: "preset",
		usage: "length of one tick, a whole number of milliseconds such as 10ms (default: the preset's)",
		show:  func(s *settings) any { return s.Layout.TimeUnit.String() }},
	{name: "layout.datacenter-bits", typ: "int", derived: "preset",
		usage: "width of the datacenter field, between the time and the worker fields (default: the preset's, 0 but for twitter-dc's 5)",
		show:  func(s *settings) any { return s.Layout.DatacenterBits }},
	{name: "layout.worker-bits", typ: "int", derived: "preset",
		usage: "width of the WorkerId field (default: the preset's)",
		show:  func(s *settings) any { return s.Layout.WorkerBits }},
	{name: "layout.sequence-bits", typ: "int", derived: "preset",
		usage: "width of the sequence field (default: the preset's)",
		show:  func(s *settings) any { return s.Layout.SequenceBits }},
	{name: "datacenter.id", typ: "int", def: "0",
		usage: "this region's datacenter, stamped into every ID; it must fit layout.datacenter-bits, and every node of a cluster has the same",
		show:  func(s *settings) any { return s.DatacenterID }},

	{name: "clock.max-drift", typ: "duration", def: durationText(idcoord.DefaultMaxDrift),
		usage: "largest offset allowed between this clock and the median of a sample of the live peers' clocks",
		show:  func(s *settings) any { return s.Clock.MaxDrift.String() }},
	{name: "clock.max-backward-wait", typ: "duration", def: durationText(idcoord.DefaultMaxBackwardWait),
		usage: "largest backward clock step that is waited out (0: none is)",
		show:  func(s *settings) any { return s.Clock.MaxBackwardWait.String() }},
	{name: "clock.max-startup-wait", typ: "duration", def: durationText(idcoord.DefaultMaxStartupWait),
		usage: "longest wait at start-up for the clock to pass the reserved window (0: none is)",
		show:  func(s *settings) any { return s.Clock.MaxStartupWait.String() }},
	{name: "clock.large-rollback", def: string(idcoord.LargeRollbackNewWorker),
		usage: "after a backward clock step larger than clock.max-backward-wait: new-worker (a fresh WorkerId if one is free, " +
			"served at once; the node's IDs may go down) or wait (keep the WorkerId, not ready until the clock passes " +
			"the last ID; the node's IDs keep increasing)",
		show: func(s *settings) any { return string(s.Clock.LargeRollback) }},

	{name: "data-dir", typ: "dir", def: store.DefaultDataDir,
		usage: "data folder of the embedded etcd",
		show:  func(s *settings) any { return s.DataDir }},
	{name: "log.level", def: "info",
		usage: "log level: debug, info, warn or error",
		show:  func(s *settings) any { return s.Log.Level }},
	{name: "log.format", def: "json",
		usage: "log format: json or console",
		show:  func(s *settings) any { return s.Log.Format }},
}

// envPrefix starts the environment variable of every key.
const envPrefix = "IDCOORD_"

// envName is the environment variable of a key: IDCOORD_ and the key upper-cased,
// with '.' and '-' turned into '_' (etcd.password-file → IDCOORD_ETCD_PASSWORD_FILE).
func envName(name string) string {
	return envPrefix + strings.ToUpper(strings.NewReplacer(".", "_", "-", "_").Replace(name))
}

// yamlPath is where the key lives in a YAML mapping. It differs from the
// name only for a key that is also a parent: a mapping cannot hold a value
// at "socket" and another at "socket.mode", so the socket path lives at
// "socket.path".
func (k *key) yamlPath() string {
	if k.leaf != "" {
		return k.name + "." + k.leaf
	}
	return k.name
}

// defaultValue is the key's default as a raw value: the text, or the items
// of a list.
func (k *key) defaultValue() any {
	if k.list {
		return splitList(k.def)
	}
	return k.def
}

// lookupKey returns the key declared with name, or nil.
func lookupKey(name string) *key {
	for i := range keys {
		if keys[i].name == name {
			return &keys[i]
		}
	}
	return nil
}

// durationText prints a default duration as --help and the README show
// it: 5m and 1h rather than 5m0s and 1h0m0s.
func durationText(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}

// intsText prints a default list of integers as a flag takes it: 0,7.
func intsText(ids []int64) string {
	items := make([]string, len(ids))
	for i, id := range ids {
		items[i] = strconv.FormatInt(id, 10)
	}
	return strings.Join(items, ",")
}

// formatTime is how the CLI prints an instant: RFC 3339 in UTC with
// milliseconds.
func formatTime(t time.Time) string {
	return t.UTC().Format("2006-01-02T15:04:05.000Z07:00")
}
