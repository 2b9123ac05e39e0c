package main

import (
	"errors"
	"fmt"
	"io/fs"
	"math"
	"net"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/idcoord/idcoord"
	"github.com/idcoord/idcoord/coord"
)

// settingsBuilder parses resolved values one key at a time. It keeps only
// the first error; parsers still return their best reading after it, which
// buildSettings then throws away.
type settingsBuilder struct {
	vals map[string]resolved
	err  error
}

func newSettingsBuilder(vals []resolved) *settingsBuilder {
	b := &settingsBuilder{vals: make(map[string]resolved, len(vals))}
	for _, r := range vals {
		b.vals[r.key.name] = r
	}
	return b
}

// raw returns the key's value as text; lists are comma-joined.
func (b *settingsBuilder) raw(name string) string {
	switch v := b.vals[name].raw.(type) {
	case nil:
		return ""
	case string:
		return v
	case []string:
		return strings.Join(v, ",")
	default:
		return fmt.Sprint(v)
	}
}

// record keeps err, about the key's value, as the builder's error unless one
// is already kept.
func (b *settingsBuilder) record(name, value string, err error) {
	if b.err != nil {
		return
	}
	b.err = &valueError{key: name, value: value, where: b.vals[name].where(), err: err}
}

// fail records err about the key's value as given.
func (b *settingsBuilder) fail(name string, err error) { b.record(name, b.raw(name), err) }

// failf records a formatted error about the key's value as given.
func (b *settingsBuilder) failf(name, format string, args ...any) {
	b.fail(name, fmt.Errorf(format, args...))
}

// text returns the key's value with surrounding space trimmed.
func (b *settingsBuilder) text(name string) string { return strings.TrimSpace(b.raw(name)) }

// set reports whether the key has a non-empty value.
func (b *settingsBuilder) set(name string) bool { return b.text(name) != "" }

// nonEmpty returns the key's text and fails if it is empty.
func (b *settingsBuilder) nonEmpty(name string) string {
	s := b.text(name)
	if s == "" {
		b.failf(name, "must not be empty")
	}
	return s
}

// oneOf returns the key's text and fails unless it is one of allowed.
func (b *settingsBuilder) oneOf(name string, allowed []string) string {
	s := b.text(name)
	if !slices.Contains(allowed, s) {
		b.failf(name, "want one of %s", strings.Join(allowed, ", "))
	}
	return s
}

// name returns the key's text, which must be a name coord.CheckName
// accepts (cluster).
func (b *settingsBuilder) name(name string) string {
	s := b.text(name)
	b.checkName(name, s)
	return s
}

// checkName fails unless value, the key's value or its default, is a name
// coord.CheckName accepts.
func (b *settingsBuilder) checkName(name, value string) {
	if err := coord.CheckName(value); err != nil {
		b.record(name, value, err)
	}
}

// checked applies a library's check to v, the key's parsed value, and
// returns v. The library owns the rule; the error it gives is recorded
// against the key, unless an error is kept already (such as the key's own
// parse error).
func checked[T any](b *settingsBuilder, name string, v T, check func(T) error) T {
	if err := check(v); err != nil {
		b.fail(name, err)
	}
	return v
}

// list returns the key's items: a YAML list as given, or comma-separated
// text split into trimmed, non-empty items.
func (b *settingsBuilder) list(name string) []string {
	switch v := b.vals[name].raw.(type) {
	case []string:
		items := make([]string, 0, len(v))
		for _, item := range v {
			items = append(items, splitList(item)...)
		}
		return items
	default:
		return splitList(b.raw(name))
	}
}

// addrs returns a non-empty list of server addresses.
func (b *settingsBuilder) addrs(name string) []string {
	items := b.list(name)
	if len(items) == 0 {
		b.failf(name, "needs at least one address")
	}
	for _, item := range items {
		if strings.ContainsAny(item, " \t\n") {
			b.failf(name, "address %q holds white space", item)
		}
	}
	return items
}

// ints returns the key's items as int64 values.
func (b *settingsBuilder) ints(name string) []int64 {
	items := b.list(name)
	ids := make([]int64, 0, len(items))
	for _, item := range items {
		n, err := strconv.ParseInt(item, 10, 64)
		if err != nil {
			b.failf(name, "%q is not an integer", item)
			return nil
		}
		ids = append(ids, n)
	}
	return ids
}

// uids returns the key's items as user ids; nil when there are none, which
// sidecar.Config reads as "any uid".
func (b *settingsBuilder) uids(name string) []uint32 {
	var uids []uint32
	for _, item := range b.list(name) {
		n, err := strconv.ParseUint(item, 10, 32)
		if err != nil {
			b.failf(name, "%q is not a uid (0..%d)", item, uint32(1<<32-1))
			return nil
		}
		uids = append(uids, uint32(n))
	}
	return uids
}

// int returns the key's value as an int.
func (b *settingsBuilder) int(name string) int {
	n, err := strconv.Atoi(b.text(name))
	if err != nil {
		b.failf(name, "not an integer")
	}
	return n
}

// Lower bounds of a duration key, as duration takes them.
const (
	anyDuration = time.Duration(math.MinInt64) // the range is a library's check
	nonNegative = time.Duration(0)
	positive    = time.Nanosecond
)

// duration returns the key's value as a duration of at least least: one of
// anyDuration, nonNegative and positive.
func (b *settingsBuilder) duration(name string, least time.Duration) time.Duration {
	s := b.text(name)
	d, err := time.ParseDuration(s)
	switch {
	case err != nil && isDigits(s):
		b.failf(name, "has no unit; write it as, for example, %ss", s)
	case err != nil:
		b.failf(name, "not a duration such as 500ms, 10s or 1m30s")
	case d >= least:
	case least == nonNegative:
		b.failf(name, "must not be negative")
	default:
		b.failf(name, "must be more than 0")
	}
	return d
}

// largeRollback parses clock.large-rollback. The library owns the policies
// and says which values exist.
func (b *settingsBuilder) largeRollback(name string) idcoord.LargeRollback {
	r := idcoord.LargeRollback(b.text(name))
	if err := r.Validate(); err != nil {
		b.fail(name, err)
	}
	return r
}

// fileMode returns an octal file mode; its range is
// sidecar.CheckSocketMode's.
func (b *settingsBuilder) fileMode(name string) fs.FileMode {
	s := strings.TrimPrefix(strings.TrimPrefix(b.text(name), "0o"), "0O")
	n, err := strconv.ParseUint(s, 8, 32)
	if err != nil {
		b.failf(name, "not an octal mode such as 0660")
	}
	return fs.FileMode(n)
}

// formatMode prints a mode the way fileMode reads it, as in 0660.
func formatMode(m fs.FileMode) string { return fmt.Sprintf("%04o", uint32(m)) }

// listenAddr returns a host:port to listen on; the host may be empty.
func (b *settingsBuilder) listenAddr(name string) string {
	s := b.text(name)
	if _, err := splitHostPort(s, 0); err != nil {
		b.fail(name, err)
	}
	return s
}

// optionalListenAddr returns an empty value (off) or a host:port to
// listen on; the host may be empty.
func (b *settingsBuilder) optionalListenAddr(name string) string {
	if b.text(name) == "" {
		return ""
	}
	return b.listenAddr(name)
}

// advertiseAddr returns an empty value or a host:port with a host.
func (b *settingsBuilder) advertiseAddr(name string) string {
	s := b.text(name)
	if s == "" {
		return ""
	}
	host, err := splitHostPort(s, 1)
	switch {
	case err != nil:
		b.fail(name, err)
	case host == "":
		b.failf(name, "names no host; peers need one to reach this node")
	}
	return s
}

// splitHostPort splits a host:port whose port is a number from least to
// 65535, and returns the host.
func splitHostPort(s string, least int) (string, error) {
	host, port, err := net.SplitHostPort(s)
	if err != nil {
		return "", errors.New("not a host:port address such as 127.0.0.1:7070 or :7070")
	}
	n, err := strconv.Atoi(port)
	if err != nil || n < least || n > 65535 {
		return "", fmt.Errorf("port %q is not a number from %d to 65535", port, least)
	}
	return host, nil
}

// isDigits reports whether s is a non-empty run of ASCII digits.
func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}
