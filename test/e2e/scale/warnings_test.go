package scale

import (
	"cmp"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
)

// warnings counts the fleet's log entries at warn level and above by
// message, and keeps the error of the latest one of each: a thousand
// nodes' logs are too many to read, their tally is not. It is safe for
// concurrent use.
type warnings struct {
	mu struct {
		sync.Mutex
		count   map[string]int
		example map[string]string // the "error" field of the latest entry
	}
}

func newWarnings() *warnings {
	w := &warnings{}
	w.mu.count, w.mu.example = map[string]int{}, map[string]string{}
	return w
}

// logger returns a logger whose warn-and-above entries w counts.
func (w *warnings) logger() *zap.Logger { return zap.New(warnCore{w: w}) }

func (w *warnings) add(level zapcore.Level, msg string, fields []zapcore.Field) {
	enc := zapcore.NewMapObjectEncoder()
	for _, f := range fields {
		f.AddTo(enc)
	}
	key := level.CapitalString() + " " + msg
	w.mu.Lock()
	defer w.mu.Unlock()
	w.mu.count[key]++
	if e, ok := enc.Fields["error"].(string); ok {
		w.mu.example[key] = e
	}
}

// counts returns a copy of the counts so far, for top's since.
func (w *warnings) counts() map[string]int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return maps.Clone(w.mu.count)
}

// top returns the n most frequent messages logged since the counts in
// since (nil: since the start), most frequent first, each with its count
// and an error it carried; or "none".
func (w *warnings) top(n int, since map[string]int) string {
	w.mu.Lock()
	defer w.mu.Unlock()
	type entry struct {
		msg   string
		count int
	}
	var all []entry
	for m, c := range w.mu.count {
		if c -= since[m]; c > 0 {
			all = append(all, entry{m, c})
		}
	}
	if len(all) == 0 {
		return "none"
	}
	slices.SortFunc(all, func(a, b entry) int { return cmp.Or(b.count-a.count, strings.Compare(a.msg, b.msg)) })
	var parts []string
	for _, e := range all[:min(n, len(all))] {
		part := fmt.Sprintf("%d× %q", e.count, e.msg)
		if ex := w.mu.example[e.msg]; ex != "" {
			part += fmt.Sprintf(" (such as %q)", ex)
		}
		parts = append(parts, part)
	}
	if len(all) > n {
		parts = append(parts, fmt.Sprintf("and %d other messages", len(all)-n))
	}
	return strings.Join(parts, "; ")
}

// warnCore is a zapcore.Core that counts entries at warn level and above,
// with the fields given to With.
type warnCore struct {
	w      *warnings
	fields []zapcore.Field
}

func (c warnCore) Enabled(l zapcore.Level) bool { return l >= zapcore.WarnLevel }
func (c warnCore) With(fields []zapcore.Field) zapcore.Core {
	return warnCore{w: c.w, fields: append(slices.Clip(c.fields), fields...)}
}
func (c warnCore) Write(e zapcore.Entry, fields []zapcore.Field) error {
	c.w.add(e.Level, e.Message, append(slices.Clip(c.fields), fields...))
	return nil
}
func (c warnCore) Sync() error { return nil }
func (c warnCore) Check(e zapcore.Entry, ce *zapcore.CheckedEntry) *zapcore.CheckedEntry {
	if c.Enabled(e.Level) {
		return ce.AddCore(e, c)
	}
	return ce
}
