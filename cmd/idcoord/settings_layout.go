package main

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/idcoord/idcoord/snowflake"
)

// layout builds the ID layout: the preset named by layout.preset, with each
// layout.* key that is set overriding the preset's field. It returns the
// preset name, the layout, and where the layout came from in words ("preset
// uidgenerator with layout.epoch=... (flag --layout.epoch)"). The layout
// must pass snowflake's ValidateShape; the checks against the current time
// (an ended lifetime, an epoch in the future) only commands that issue IDs
// apply, through settings.ValidateLayout.
func (b *settingsBuilder) layout() (string, snowflake.Layout, string) {
	preset := b.text("layout.preset")
	l, err := snowflake.Preset(preset)
	if err != nil {
		b.fail("layout.preset", err)
		return preset, l, ""
	}
	var overrides []string
	override := func(name string) bool {
		if !b.set(name) {
			return false
		}
		overrides = append(overrides, fmt.Sprintf("%s=%s (%s)", name, b.text(name), b.vals[name].where()))
		return true
	}
	if override("layout.epoch") {
		l.Epoch = b.epoch("layout.epoch")
	}
	if override("layout.time-bits") {
		l.TimeBits = b.bits("layout.time-bits")
	}
	if override("layout.time-unit") {
		l.TimeUnit = b.duration("layout.time-unit", nonNegative)
	}
	if override("layout.datacenter-bits") {
		l.DatacenterBits = b.bits("layout.datacenter-bits")
	}
	if override("layout.worker-bits") {
		l.WorkerBits = b.bits("layout.worker-bits")
	}
	if override("layout.sequence-bits") {
		l.SequenceBits = b.bits("layout.sequence-bits")
	}
	if b.err != nil {
		return preset, l, ""
	}
	what := "preset " + preset
	if len(overrides) > 0 {
		what += " with " + strings.Join(overrides, ", ")
	}
	switch err := l.ValidateShape(); {
	case err == nil:
	case errors.Is(err, snowflake.ErrEpoch) && b.set("layout.epoch"):
		b.fail("layout.epoch", err) // the epoch alone is wrong
	case errors.Is(err, snowflake.ErrBitsOverflow) && l.DatacenterBits > 0 && !b.set("layout.worker-bits"):
		b.err = &valueError{key: "layout", err: fmt.Errorf("%s: %w; take the datacenter bits from the worker field (layout.worker-bits), "+
			"or use layout.preset twitter-dc", what, err)}
	default:
		b.err = &valueError{key: "layout", err: fmt.Errorf("%s: %w", what, err)}
	}
	return preset, l, what
}

// datacenterID parses datacenter.id: an ID that fits layout l's datacenter
// field, as snowflake's ValidateDatacenterID accepts it.
func (b *settingsBuilder) datacenterID(name string, l snowflake.Layout) int64 {
	n, err := strconv.ParseInt(b.text(name), 10, 64)
	if err != nil {
		b.failf(name, "not an integer")
		return 0
	}
	if b.err != nil {
		return n // the layout, too, may be bad
	}
	switch err := l.ValidateDatacenterID(n); {
	case err != nil && !l.HasDatacenter():
		b.fail(name, fmt.Errorf("%w; set layout.preset twitter-dc, or layout.datacenter-bits, for one", err))
	case err != nil:
		b.fail(name, err)
	}
	return n
}

// ValidateLayout checks the layout against the current time, as a command
// that issues IDs must before it starts. See validateLayoutAt.
func (s *settings) ValidateLayout() error { return s.validateLayoutAt(time.Now()) }

// validateLayoutAt checks the layout at now with snowflake's validation. Its
// error names the layout's source and the key that fixes it: an ended
// lifetime or an epoch in the future both come down to layout.epoch.
func (s *settings) validateLayoutAt(now time.Time) error {
	err := s.Layout.ValidateAt(now)
	switch {
	case err == nil:
		return nil
	case errors.Is(err, snowflake.ErrLifetimeEnded):
		err = fmt.Errorf("%w (layout.epoch)", err) // snowflake's text ends "set a later epoch"
	case errors.Is(err, snowflake.ErrEpochInFuture):
		err = fmt.Errorf("%w; set layout.epoch to a date in the past", err)
	}
	return &valueError{key: "layout", err: fmt.Errorf("%s: %w", s.layoutFrom, err)}
}

// bits returns a field width. Its range is left to Layout.Validate, which
// names the numbers of the whole layout.
func (b *settingsBuilder) bits(name string) int {
	n, err := strconv.Atoi(b.text(name))
	if err != nil {
		b.failf(name, "not an integer")
	}
	return n
}

// epoch returns a layout epoch given as integer unix milliseconds or as
// RFC 3339. Its range is snowflake's ValidateShape's.
func (b *settingsBuilder) epoch(name string) time.Time {
	s := b.text(name)
	if ms, err := strconv.ParseInt(s, 10, 64); err == nil {
		return time.UnixMilli(ms).UTC()
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		b.failf(name, "neither unix milliseconds nor an RFC 3339 time such as 2014-09-01T00:00:00Z")
	}
	return t.UTC()
}
