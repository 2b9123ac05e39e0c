package zktest

import (
	"context"
	"fmt"
	"strings"
)

// Monitor asks the server for its mntr figures (packets received and
// sent, znode count, request counts and latencies, ...) and returns them by
// name, such as "zk_packets_received". The values are as the server prints
// them: most are integers, some decimals or words (zk_server_state). It
// fails with an error wrapping ErrNotServing when the answer holds no
// figure (mntr not whitelisted, or a member without a quorum).
func (s *Server) Monitor(ctx context.Context) (map[string]string, error) {
	answer, err := fourLetterWord(ctx, s.Addr(), "mntr")
	if err != nil {
		return nil, fmt.Errorf("zktest: mntr at %s: %w", s.Addr(), err)
	}
	figures := map[string]string{}
	for _, line := range strings.Split(answer, "\n") {
		name, value, ok := strings.Cut(strings.TrimSpace(line), "\t")
		if ok && strings.HasPrefix(name, "zk_") {
			figures[name] = strings.TrimSpace(value)
		}
	}
	if len(figures) == 0 {
		return nil, fmt.Errorf("%w: %s answered mntr with %q", ErrNotServing, s.Addr(), strings.TrimSpace(answer))
	}
	return figures, nil
}
