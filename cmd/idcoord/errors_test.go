package main

import (
	"errors"
	"fmt"
	"slices"
	"testing"
)

func TestErrorLines(t *testing.T) {
	release := errors.New("store unreachable during shutdown: WorkerId 3 not released")
	tests := []struct {
		name  string
		err   error
		lines []string
		code  int
	}{
		{"none", nil, nil, 0},
		{"one", errors.New("bad"), []string{"bad"}, 1},
		{"multi-line message", errors.New("first\nsecond"), []string{"first second"}, 1},
		{"joined: one line each", errors.Join(errors.New("socket: x"), release), []string{"socket: x", release.Error()}, 1},
		{"wrapped join stays one line", fmt.Errorf("stopping: %w", errors.Join(errors.New("a"), errors.New("b"))), []string{"stopping: a b"}, 1},
		{"several %w stay one line", fmt.Errorf("%w, %w", errors.New("a"), errors.New("b")), []string{"a, b"}, 1},
		{"interrupted", &exitError{code: exitInterrupted, err: errors.Join(nil, errInterrupted)}, []string{"interrupted"}, 130},
		{"interrupted after a failed stop", &exitError{code: exitInterrupted, err: errors.Join(release, errInterrupted)},
			[]string{release.Error(), "interrupted"}, 130},
		{"quiet exit status", &exitError{code: 3}, nil, 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := errorLines(tt.err); !slices.Equal(got, tt.lines) {
				t.Errorf("errorLines = %q, want %q", got, tt.lines)
			}
			if got := exitCode(tt.err); got != tt.code {
				t.Errorf("exitCode = %d, want %d", got, tt.code)
			}
		})
	}
}
