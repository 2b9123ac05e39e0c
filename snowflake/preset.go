package snowflake

import (
	"fmt"
	"sort"
	"time"
)

// DefaultPreset is the layout used when none is named.
const DefaultPreset = "twitter"

// DefaultReserved are the WorkerIDs never handed out when none are configured.
// Unconfigured Snowflake libraries default to worker 0, so 0 is reserved.
var DefaultReserved = []int64{0}

var presets = map[string]Layout{
	// Twitter Snowflake; Meituan Leaf uses the same bits and epoch.
	"twitter": {TimeBits: 41, TimeUnit: time.Millisecond, WorkerBits: 10, SequenceBits: 12, Epoch: time.UnixMilli(1288834974657).UTC()},
	"leaf":    {TimeBits: 41, TimeUnit: time.Millisecond, WorkerBits: 10, SequenceBits: 12, Epoch: time.UnixMilli(1288834974657).UTC()},
	// Twitter's original split of the 10 WorkerId bits into 5 datacenter
	// and 5 worker bits, with Twitter's epoch.
	"twitter-dc": {TimeBits: 41, TimeUnit: time.Millisecond, DatacenterBits: 5, WorkerBits: 5, SequenceBits: 12, Epoch: time.UnixMilli(1288834974657).UTC()},
	// Sony Sonyflake. Note that idcoord packs worker before sequence.
	"sonyflake": {TimeBits: 39, TimeUnit: 10 * time.Millisecond, WorkerBits: 16, SequenceBits: 8, Epoch: time.Date(2014, 9, 1, 0, 0, 0, 0, time.UTC)},
	// Baidu UidGenerator's DefaultUidGenerator.
	"uidgenerator": {TimeBits: 28, TimeUnit: time.Second, WorkerBits: 22, SequenceBits: 13, Epoch: time.Date(2016, 5, 20, 0, 0, 0, 0, time.UTC)},
}

// Preset returns the named layout, with its canonical epoch.
func Preset(name string) (Layout, error) {
	l, ok := presets[name]
	if !ok {
		return Layout{}, fmt.Errorf("%w: %q (known: %v)", ErrUnknownPreset, name, PresetNames())
	}
	return l, nil
}

// Twitter returns the default 41/10/12 layout at 1ms.
func Twitter() Layout { return presets["twitter"] }

// PresetNames lists the preset names in sorted order.
func PresetNames() []string {
	names := make([]string, 0, len(presets))
	for n := range presets {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}
