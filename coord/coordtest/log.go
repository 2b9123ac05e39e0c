package coordtest

import (
	"testing"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest"
)

// Logger returns a logger that writes through tb.Log at level and above,
// keeping a failure's output short enough to read: of each message, the
// first few per second are written and the rest dropped. (A node whose
// store stalls logs the same keepalive warning for every lease, many times
// a second; thousands of copies hide the one line that explains a failure.)
func Logger(tb testing.TB, level zapcore.Level) *zap.Logger {
	sampled := zap.WrapCore(func(c zapcore.Core) zapcore.Core {
		return zapcore.NewSamplerWithOptions(c, time.Second, 3, 0)
	})
	return zaptest.NewLogger(tb, zaptest.Level(level), zaptest.WrapOptions(sampled))
}
