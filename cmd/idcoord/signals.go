package main

import (
	"context"
	"os"
	"os/signal"
	"sync"
	"syscall"
)

// stopSignals watches SIGINT and SIGTERM for serve. The first one cancels
// Run: start-up stops wherever it is, or a running node begins its graceful
// stop. Any later one cancels Hurry: the graceful stop gives up what it
// still waits for (requests in flight, the store) and exits at once. No
// phase ignores a signal.
type stopSignals struct {
	Run, Hurry context.Context

	cancelRun, cancelHurry context.CancelFunc
	ch                     chan os.Signal
	done                   chan struct{}
	mu                     struct {
		sync.Mutex
		first os.Signal
	}
}

// watchSignals starts watching; call stop when serve returns.
func watchSignals(parent context.Context) *stopSignals {
	s := &stopSignals{ch: make(chan os.Signal, 2), done: make(chan struct{})}
	s.Run, s.cancelRun = context.WithCancel(parent)
	s.Hurry, s.cancelHurry = context.WithCancel(parent)
	signal.Notify(s.ch, syscall.SIGINT, syscall.SIGTERM)
	go s.loop()
	return s
}

func (s *stopSignals) loop() {
	for {
		select {
		case sig := <-s.ch:
			s.mu.Lock()
			first := s.mu.first == nil
			if first {
				s.mu.first = sig
			}
			s.mu.Unlock()
			if first {
				s.cancelRun()
			} else {
				s.cancelHurry()
			}
		case <-s.done:
			return
		}
	}
}

// Received returns the first signal received, or nil.
func (s *stopSignals) Received() os.Signal {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.mu.first
}

// stop stops watching; signals get their default action again.
func (s *stopSignals) stop() {
	signal.Stop(s.ch)
	close(s.done)
	s.cancelRun()
	s.cancelHurry()
}
