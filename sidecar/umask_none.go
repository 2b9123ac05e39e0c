//go:build !unix

package sidecar

// withUmask runs fn: this OS has no umask, and socket files no mode.
func withUmask(_ int, fn func() error) error { return fn() }
