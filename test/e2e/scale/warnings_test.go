package scale

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"sync"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
)

// warnings counts the fleet's log entries at warn level and above by
// message: a thousand nodes' logs are too many to read, their tally is not.
// It is safe for concurrent use.
type warnings struct {
	mu struct {
		sync.Mutex
		count map[string]int
	}
}

func newWarnings() *warnings {
	w := &warnings{}
	w.mu.count = map[string]int{}
	return w
}

// logger returns a logger whose warn-and-above entries w counts.
func (w *warnings) logger() *zap.Logger { return zap.New(warnCore{w}) }

func (w *warnings) add(level zapcore.Level, msg string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.mu.count[level.CapitalString()+" "+msg]++
}

// top returns the n most frequent messages with their counts, most frequent
// first, or "none".
func (w *warnings) top(n int) string {
	w.mu.Lock()
	defer w.mu.Unlock()
	type entry struct {
		msg   string
		count int
	}
	var all []entry
	for m, c := range w.mu.count {
		all = append(all, entry{m, c})
	}
	if len(all) == 0 {
		return "none"
	}
	slices.SortFunc(all, func(a, b entry) int { return cmp.Or(b.count-a.count, strings.Compare(a.msg, b.msg)) })
	var parts []string
	for _, e := range all[:min(n, len(all))] {
		parts = append(parts, fmt.Sprintf("%d× %q", e.count, e.msg))
	}
	if len(all) > n {
		parts = append(parts, fmt.Sprintf("and %d other messages", len(all)-n))
	}
	return strings.Join(parts, "; ")
}

// warnCore is a zapcore.Core that counts entries at warn level and above.
type warnCore struct{ w *warnings }

func (c warnCore) Enabled(l zapcore.Level) bool      { return l >= zapcore.WarnLevel }
func (c warnCore) With([]zapcore.Field) zapcore.Core { return c }
func (c warnCore) Write(e zapcore.Entry, _ []zapcore.Field) error {
	c.w.add(e.Level, e.Message)
	return nil
}
func (c warnCore) Sync() error { return nil }
func (c warnCore) Check(e zapcore.Entry, ce *zapcore.CheckedEntry) *zapcore.CheckedEntry {
	if c.Enabled(e.Level) {
		return ce.AddCore(e, c)
	}
	return ce
}
