package zkcoord

import (
	"fmt"

	"go.uber.org/zap"
)

// zkLogger sends go-zookeeper's own log lines to zap at debug level: the
// Backend logs the session changes that matter itself.
type zkLogger struct{ log *zap.Logger }

// Printf logs one line.
func (z zkLogger) Printf(format string, args ...any) {
	if z.log.Core().Enabled(zap.DebugLevel) {
		z.log.Debug(fmt.Sprintf(format, args...))
	}
}
