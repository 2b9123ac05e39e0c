package main

import (
	"errors"
	"io/fs"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/spf13/pflag"

	"github.com/idcoord/idcoord"
	"github.com/idcoord/idcoord/snowflake"
)

// settingsFor binds a fresh config to a flag set, parses args into it and
// builds the settings.
func settingsFor(t *testing.T, args ...string) (*settings, error) {
	t.Helper()
	flags := pflag.NewFlagSet("test", pflag.ContinueOnError)
	cfg := newConfig(flags)
	cfg.hostname = func() (string, error) { return "host-1", nil }
	if err := flags.Parse(args); err != nil {
		t.Fatal(err)
	}
	return cfg.Settings()
}

func TestSettingsTyped(t *testing.T) {
	s, err := settingsFor(t,
		"--coord", "zk", "--cluster", "prod",
		"--etcd.endpoints", "https://e1:2379,e2:2379", "--etcd.cert-file", "/c.pem", "--etcd.key-file", "/k.pem",
		"--zk.servers", "z1:2181", "--zk.mode", "ephemeral", "--zk.session-timeout", "4500ms",
		"--lease.ttl", "1m", "--worker.reserved", "5,0,5,3",
		"--socket", "/tmp/i.sock", "--socket.mode", "0o600", "--socket.allowed-uids", "0,1000,4294967295",
		"--socket.max-conns", "16", "--socket.idle-timeout", "30s", "--socket.read-timeout", "2s", "--socket.max-request-bytes", "4096",
		"--max-batch", "1000000", "--segment.max-step", "20000", "--leaf.addr", ":8080", "--admin.addr", "[::1]:7071", "--admin.advertise", "node-1.svc:7071",
		"--layout.preset", "sonyflake", "--layout.epoch", "1577836800000", "--layout.sequence-bits", "7",
		"--clock.max-drift", "250ms", "--clock.max-backward-wait", "0", "--clock.max-startup-wait", "1m",
		"--clock.large-rollback", "wait",
		"--log.level", "warn", "--log.format", "console", "--data-dir", "/var/lib/idcoord",
	)
	if err != nil {
		t.Fatal(err)
	}
	want := &settings{
		Coord:    coordZK,
		Cluster:  "prod",
		NodeName: "host-1",
		Etcd:     etcdSettings{Endpoints: []string{"https://e1:2379", "e2:2379"}, CertFile: "/c.pem", KeyFile: "/k.pem"},
		ZK:       zkSettings{Servers: []string{"z1:2181"}, Mode: zkEphemeral, SessionTimeout: 4500 * time.Millisecond, LeafName: "prod"},
		LeaseTTL: time.Minute,
		Reserved: []int64{0, 3, 5},
		Socket: socketSettings{Path: "/tmp/i.sock", Mode: fs.FileMode(0o600), AllowedUIDs: []uint32{0, 1000, 4294967295},
			MaxConns: 16, IdleTimeout: 30 * time.Second, ReadTimeout: 2 * time.Second, MaxRequestBytes: 4096},
		MaxBatch:       1_000_000,
		Admin:          adminSettings{Addr: "[::1]:7071", Advertise: "node-1.svc:7071"},
		SegmentMaxStep: 20000,
		LeafAddr:       ":8080",
		LayoutPreset:   "sonyflake",
		Layout: snowflake.Layout{TimeBits: 39, TimeUnit: 10 * time.Millisecond, WorkerBits: 16, SequenceBits: 7,
			Epoch: time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)},
		layoutFrom: "preset sonyflake with layout.epoch=1577836800000 (flag --layout.epoch), layout.sequence-bits=7 (flag --layout.sequence-bits)",
		Clock: clockSettings{MaxDrift: 250 * time.Millisecond, MaxBackwardWait: 0, MaxStartupWait: time.Minute,
			LargeRollback: idcoord.LargeRollbackWait},
		DataDir: "/var/lib/idcoord",
		Log:     logSettings{Level: "warn", Format: "console"},
	}
	if !reflect.DeepEqual(s, want) {
		t.Errorf("settings\n got %+v\nwant %+v", s, want)
	}
}

func TestSettingsLayoutOverrides(t *testing.T) {
	twitter := snowflake.Twitter()
	for _, tc := range []struct {
		name string
		args []string
		want snowflake.Layout
	}{
		{"preset only", nil, twitter},
		{"leaf", []string{"--layout.preset", "leaf"}, twitter},
		{"epoch as unix ms", []string{"--layout.epoch", "1288834974000"},
			withEpoch(twitter, time.UnixMilli(1288834974000))},
		{"epoch as RFC 3339 with offset", []string{"--layout.epoch", "2020-01-01T02:00:00.5+02:00"},
			withEpoch(twitter, time.Date(2020, 1, 1, 0, 0, 0, 5e8, time.UTC))},
		{"every field", []string{"--layout.time-bits", "31", "--layout.time-unit", "2ms", "--layout.worker-bits", "9", "--layout.sequence-bits", "22"},
			snowflake.Layout{TimeBits: 31, TimeUnit: 2 * time.Millisecond, WorkerBits: 9, SequenceBits: 22, Epoch: twitter.Epoch}},
		{"ended lifetime still decodes", []string{"--layout.preset", "uidgenerator"},
			snowflake.Layout{TimeBits: 28, TimeUnit: time.Second, WorkerBits: 22, SequenceBits: 13, Epoch: time.Date(2016, 5, 20, 0, 0, 0, 0, time.UTC)}},
		{"twitter-dc", []string{"--layout.preset", "twitter-dc"},
			snowflake.Layout{TimeBits: 41, TimeUnit: time.Millisecond, DatacenterBits: 5, WorkerBits: 5, SequenceBits: 12, Epoch: twitter.Epoch}},
		{"datacenter bits carved out of twitter's worker bits", []string{"--layout.datacenter-bits", "3", "--layout.worker-bits", "7"},
			snowflake.Layout{TimeBits: 41, TimeUnit: time.Millisecond, DatacenterBits: 3, WorkerBits: 7, SequenceBits: 12, Epoch: twitter.Epoch}},
		{"epoch in the future still decodes", []string{"--layout.epoch", "2999-01-01T00:00:00Z", "--layout.time-bits", "30"},
			snowflake.Layout{TimeBits: 30, TimeUnit: time.Millisecond, WorkerBits: 10, SequenceBits: 12, Epoch: time.Date(2999, 1, 1, 0, 0, 0, 0, time.UTC)}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, err := settingsFor(t, tc.args...)
			if err != nil {
				t.Fatal(err)
			}
			if s.Layout != tc.want {
				t.Errorf("layout %v, want %v", s.Layout, tc.want)
			}
		})
	}
}

func withEpoch(l snowflake.Layout, epoch time.Time) snowflake.Layout {
	l.Epoch = epoch.UTC()
	return l
}

// TestSettingsErrors covers every validation error: each gives one line
// naming the key, the value and its source.
func TestSettingsErrors(t *testing.T) {
	long := "/" + strings.Repeat("s", 107)
	for _, tc := range []struct {
		name string
		args []string
		is   error // wrapped sentinel, besides errBadValue
		want string
	}{
		{"unknown coord", []string{"--coord", "consul"}, nil, `coord "consul" (flag --coord): want one of etcd, zk, embedded`},
		{"empty cluster", []string{"--cluster", ""}, nil, `cluster "" (flag --cluster): must be 1 to 253`},
		{"cluster with a slash", []string{"--cluster", "a/b"}, nil, `cluster "a/b"`},
		{"cluster of dots", []string{"--cluster", ".."}, nil, `cluster ".."`},
		{"node name with a slash", []string{"--node.name", "x/y"}, nil, `node.name "x/y"`},
		{"leaf name with a slash", []string{"--zk.leaf-name", "a/b"}, nil, `zk.leaf-name "a/b"`},
		{"no etcd endpoints", []string{"--etcd.endpoints", ""}, nil, `etcd.endpoints "" (flag --etcd.endpoints): needs at least one address`},
		{"endpoint with space", []string{"--etcd.endpoints", "a b:1"}, nil, `address "a b:1" holds white space`},
		{"cert without key", []string{"--etcd.cert-file", "/c.pem"}, nil, "etcd.cert-file and etcd.key-file go together"},
		{"key without cert", []string{"--etcd.key-file", "/k.pem"}, nil, "etcd.cert-file and etcd.key-file go together"},
		{"no zk servers", []string{"--zk.servers", " , "}, nil, "zk.servers"},
		{"unknown zk mode", []string{"--zk.mode", "persistent"}, nil, `zk.mode "persistent" (flag --zk.mode): want one of sequential, ephemeral`},
		{"zero zk timeout", []string{"--zk.session-timeout", "0"}, nil, "must be at least 1ms"},
		{"bad duration", []string{"--zk.session-timeout", "six seconds"}, nil, "not a duration such as 500ms"},
		{"duration without unit", []string{"--lease.ttl", "10"}, nil, `lease.ttl "10" (flag --lease.ttl): has no unit; write it as, for example, 10s`},
		{"lease of a fraction", []string{"--lease.ttl", "2500ms"}, nil, "etcd leases last whole seconds"},
		{"lease too short", []string{"--lease.ttl", "1s"}, nil, "below 2s"},
		{"negative lease", []string{"--lease.ttl", "-5s"}, nil, "must not be negative"},
		{"reserved not a number", []string{"--worker.reserved", "0,x"}, nil, `worker.reserved "0,x" (flag --worker.reserved): "x" is not an integer`},
		{"reserved negative", []string{"--worker.reserved", "-1"}, snowflake.ErrWorkerIDRange, "-1 does not fit 10 worker bits (0..1023)"},
		{"reserved too big", []string{"--worker.reserved", "0,1024"}, snowflake.ErrWorkerIDRange, "1024 does not fit 10 worker bits (0..1023)"},
		{"reserved too big for overridden bits", []string{"--layout.worker-bits", "4", "--worker.reserved", "16"}, snowflake.ErrWorkerIDRange, "16 does not fit 4 worker bits (0..15)"},
		{"everything reserved", []string{"--layout.worker-bits", "1", "--worker.reserved", "1,0"}, nil, "reserves all 2 WorkerIds of the layout (0..1)"},
		{"abstract socket", []string{"--socket", "@idcoord"}, nil, `socket "@idcoord" (flag --socket): abstract socket names (@...) are refused`},
		{"empty socket", []string{"--socket", ""}, nil, `socket "" (flag --socket): must not be empty`},
		{"socket path too long", []string{"--socket", long}, nil, "is 108 bytes; a Unix socket path holds at most 107"},
		{"mode not octal", []string{"--socket.mode", "0690"}, nil, `socket.mode "0690" (flag --socket.mode): not an octal mode`},
		{"no connections", []string{"--socket.max-conns", "0"}, nil, `socket.max-conns "0" (flag --socket.max-conns): outside 1..1048576`},
		{"idle timeout zero", []string{"--socket.idle-timeout", "0s"}, nil, `socket.idle-timeout "0s" (flag --socket.idle-timeout): must be more than 0`},
		{"read timeout negative", []string{"--socket.read-timeout", "-1s"}, nil, `socket.read-timeout "-1s" (flag --socket.read-timeout): must be more than 0`},
		{"request too small", []string{"--socket.max-request-bytes", "4"}, nil, `socket.max-request-bytes "4" (flag --socket.max-request-bytes): outside 8..4096`},
		{"request too large", []string{"--socket.max-request-bytes", "4097"}, nil, `socket.max-request-bytes "4097" (flag --socket.max-request-bytes): outside 8..4096`},
		{"mode beyond permissions", []string{"--socket.mode", "1777"}, nil, "above 0777"},
		{"uid not a number", []string{"--socket.allowed-uids", "root"}, nil, `"root" is not a uid`},
		{"uid negative", []string{"--socket.allowed-uids", "-1"}, nil, `"-1" is not a uid`},
		{"uid too big", []string{"--socket.allowed-uids", "4294967296"}, nil, `"4294967296" is not a uid`},
		{"batch zero", []string{"--max-batch", "0"}, nil, `max-batch "0" (flag --max-batch): outside 1..1000000`},
		{"batch too big", []string{"--max-batch", "1000001"}, nil, "outside 1..1000000"},
		{"batch not a number", []string{"--max-batch", "10k"}, nil, "not an integer"},
		{"admin addr without port", []string{"--admin.addr", "localhost"}, nil, `admin.addr "localhost" (flag --admin.addr): not a host:port`},
		{"admin port too big", []string{"--admin.addr", ":70000"}, nil, `port "70000" is not a number from 0 to 65535`},
		{"advertise without host", []string{"--admin.advertise", ":7070"}, nil, "names no host"},
		{"advertise port zero", []string{"--admin.advertise", "h:0"}, nil, `port "0" is not a number from 1 to 65535`},
		{"unknown preset", []string{"--layout.preset", "instagram"}, snowflake.ErrUnknownPreset, `layout.preset "instagram" (flag --layout.preset): snowflake: unknown layout preset`},
		{"bits not a number", []string{"--layout.time-bits", "forty"}, nil, `layout.time-bits "forty" (flag --layout.time-bits): not an integer`},
		{"zero-width time", []string{"--layout.time-bits", "0"}, snowflake.ErrZeroWidth, "time bits is 0"},
		{"negative worker bits", []string{"--layout.worker-bits", "-3"}, snowflake.ErrZeroWidth, "worker bits is -3"},
		{"zero-width sequence", []string{"--layout.sequence-bits", "0"}, snowflake.ErrZeroWidth, "sequence bits is 0"},
		{"bits overflow", []string{"--layout.time-bits", "42"}, snowflake.ErrBitsOverflow,
			"layout: preset twitter with layout.time-bits=42 (flag --layout.time-bits): snowflake: bits sum to more than 63: 42 time + 10 worker + 12 sequence = 64 bits"},
		{"datacenter bits over 63", []string{"--layout.datacenter-bits", "5"}, snowflake.ErrBitsOverflow,
			"layout: preset twitter with layout.datacenter-bits=5 (flag --layout.datacenter-bits): snowflake: bits sum to more than 63: 41 time + 5 datacenter + 10 worker + 12 sequence = 68 bits; take the datacenter bits from the worker field (layout.worker-bits), or use layout.preset twitter-dc"},
		{"datacenter and worker bits over 63", []string{"--layout.datacenter-bits", "5", "--layout.worker-bits", "6"}, snowflake.ErrBitsOverflow,
			"41 time + 5 datacenter + 6 worker + 12 sequence = 64 bits"},
		{"negative datacenter bits", []string{"--layout.datacenter-bits", "-1"}, snowflake.ErrZeroWidth, "datacenter bits is -1"},
		{"datacenter bits not a number", []string{"--layout.datacenter-bits", "five"}, nil, `layout.datacenter-bits "five" (flag --layout.datacenter-bits): not an integer`},
		{"datacenter too big", []string{"--layout.preset", "twitter-dc", "--datacenter.id", "32"}, snowflake.ErrDatacenterIDRange,
			`datacenter.id "32" (flag --datacenter.id): snowflake: datacenter ID out of range: 32 does not fit 5 datacenter bits (0..31)`},
		{"datacenter negative", []string{"--layout.preset", "twitter-dc", "--datacenter.id", "-1"}, snowflake.ErrDatacenterIDRange,
			`datacenter.id "-1" (flag --datacenter.id): snowflake: datacenter ID out of range: -1 does not fit 5 datacenter bits`},
		{"datacenter without the field", []string{"--datacenter.id", "1"}, snowflake.ErrDatacenterIDRange,
			`datacenter.id "1" (flag --datacenter.id): snowflake: datacenter ID out of range: 1, but the layout has no datacenter field`},
		{"datacenter not a number", []string{"--layout.preset", "twitter-dc", "--datacenter.id", "eu"}, nil, `datacenter.id "eu" (flag --datacenter.id): not an integer`},
		{"unit below 1ms", []string{"--layout.time-unit", "500us"}, snowflake.ErrTimeUnit, "500µs"},
		{"unit not whole ms", []string{"--layout.time-unit", "1500us"}, snowflake.ErrTimeUnit, "1.5ms"},
		{"unit not a duration", []string{"--layout.time-unit", "tick"}, nil, `layout.time-unit "tick"`},
		{"epoch not a time", []string{"--layout.epoch", "yesterday"}, nil, "neither unix milliseconds nor an RFC 3339 time"},
		{"epoch before 1970", []string{"--layout.epoch", "-1"}, nil, "before 1970-01-01"},
		{"epoch below a millisecond", []string{"--layout.epoch", "2020-01-01T00:00:00.0005Z"}, nil, "not a whole millisecond"},
		{"epoch past 9999", []string{"--layout.epoch", "300000000000000"}, nil, "in the year 9999 or later"},
		{"lifetime past 9999", []string{"--layout.time-unit", "1000h"}, nil, "run out in the year 9999 or later"},
		{"zero drift", []string{"--clock.max-drift", "0s"}, nil, "must be more than 0"},
		{"negative backward wait", []string{"--clock.max-backward-wait", "-1ms"}, nil, "must not be negative"},
		{"bad startup wait", []string{"--clock.max-startup-wait", "soon"}, nil, "clock.max-startup-wait"},
		{"empty data dir", []string{"--data-dir", " "}, nil, "data-dir"},
		{"unknown log level", []string{"--log.level", "trace"}, nil, "want one of debug, info, warn, error"},
		{"unknown log format", []string{"--log.format", "text"}, nil, "want one of json, console"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := settingsFor(t, tc.args...)
			if !errors.Is(err, errBadValue) {
				t.Fatalf("err %v, want errBadValue", err)
			}
			if tc.is != nil && !errors.Is(err, tc.is) {
				t.Errorf("err %v, want %v", err, tc.is)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err %q does not hold %q", err, tc.want)
			}
			// The user sees the same error as one line, from any command
			// that reads the settings.
			wantOneLineError(t, []string{tc.want}, append([]string{"print-config"}, tc.args...)...)
		})
	}
}

// TestSettingsErrorsNameTheirSource checks that env and file values are
// named as such in errors.
func TestSettingsErrorsNameTheirSource(t *testing.T) {
	t.Run("env", func(t *testing.T) {
		t.Setenv("IDCOORD_MAX_BATCH", "lots")
		wantOneLineError(t, []string{`max-batch "lots" (env IDCOORD_MAX_BATCH): not an integer`}, "decode", "1")
	})
	t.Run("file", func(t *testing.T) {
		file := writeFile(t, "c.yaml", "layout:\n  preset: flickr\n")
		wantOneLineError(t, []string{`layout.preset "flickr" (file ` + file + `)`}, "decode", "--config", file, "1")
	})
	t.Run("hostname", func(t *testing.T) {
		flags := pflag.NewFlagSet("test", pflag.ContinueOnError)
		cfg := newConfig(flags)
		cfg.hostname = func() (string, error) { return "bad/host", nil }
		if _, err := cfg.Settings(); err == nil || !strings.Contains(err.Error(), `node.name "bad/host" (default from hostname)`) {
			t.Errorf("err %v", err)
		}
		cfg = newConfig(pflag.NewFlagSet("test", pflag.ContinueOnError))
		cfg.hostname = func() (string, error) { return "", errors.New("uname failed") }
		if _, err := cfg.Settings(); err == nil || !strings.Contains(err.Error(), "no hostname to default to (uname failed); set node.name") {
			t.Errorf("err %v", err)
		}
	})
}

// TestValidateLayout checks a layout against the time, as commands that
// issue IDs do: an ended lifetime and an epoch in the future are errors that
// keep snowflake's sentinel and name layout.epoch as the fix.
func TestValidateLayout(t *testing.T) {
	now := time.Date(2026, 11, 21, 10, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		name string
		args []string
		want error
		says []string
	}{
		{"twitter", nil, nil, nil},
		{"uidgenerator ended", []string{"--layout.preset", "uidgenerator"}, snowflake.ErrLifetimeEnded,
			[]string{"layout: preset uidgenerator: ", "ran out on 2024-11-20T21:24:16Z; set a later epoch (layout.epoch)"}},
		{"uidgenerator with a later epoch", []string{"--layout.preset", "uidgenerator", "--layout.epoch", "2025-01-01T00:00:00Z"}, nil, nil},
		{"epoch in the future", []string{"--layout.epoch", "2027-01-01T00:00:00Z"}, snowflake.ErrEpochInFuture,
			[]string{"layout.epoch=2027-01-01T00:00:00Z (flag --layout.epoch)", "; set layout.epoch to a date in the past"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, err := settingsFor(t, tc.args...)
			if err != nil {
				t.Fatal(err)
			}
			err = s.validateLayoutAt(now)
			if !errors.Is(err, tc.want) || (err == nil) != (tc.want == nil) {
				t.Fatalf("validateLayoutAt = %v, want %v", err, tc.want)
			}
			if err != nil && !errors.Is(err, errBadValue) {
				t.Errorf("%v is not a bad config value", err)
			}
			for _, w := range tc.says {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not say %q", err, w)
				}
			}
		})
	}
}

// TestSettingsDatacenter: datacenter.id is read as a number inside the
// layout's datacenter field, from a flag or from the environment that the
// Kubernetes manifests set per region.
func TestSettingsDatacenter(t *testing.T) {
	s, err := settingsFor(t, "--layout.preset", "twitter-dc", "--datacenter.id", "31")
	if err != nil {
		t.Fatal(err)
	}
	if s.DatacenterID != 31 || s.Layout.DatacenterBits != 5 {
		t.Errorf("datacenter %d of %d bits, want 31 of 5", s.DatacenterID, s.Layout.DatacenterBits)
	}
	t.Setenv("IDCOORD_DATACENTER_ID", "2")
	if s, err = settingsFor(t, "--layout.preset", "twitter-dc"); err != nil || s.DatacenterID != 2 {
		t.Errorf("datacenter from IDCOORD_DATACENTER_ID: %v, %v; want 2", s, err)
	}
	if s, err = settingsFor(t); err == nil {
		t.Errorf("datacenter.id 2 in the twitter layout was accepted: %+v", s)
	}
}
