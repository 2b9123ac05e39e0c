// Package bench compares the idcoord generator with two widely used Snowflake
// libraries, github.com/bwmarrin/snowflake and github.com/sony/sonyflake/v2, at
// pinned versions. It is a separate module so that those libraries never enter
// the product's go.mod.
//
// The package holds no product code: its benchmarks carry the performance
// claims made about the generator, and one fast test checks that every
// generator set up for the benchmarks really issues increasing IDs, so that a
// benchmark never measures a misconfigured library.
//
// Every single-ID benchmark issues one ID per op through the same kind of call
// (a func value), so the harness costs every subject the same; the
// baseline_noop subject shows that cost. Capped subjects also report IDs/s and
// the share of their layout's capacity (%cap) that they reached.
//
// HAZARD: bwmarrin/snowflake reads its bit widths from package-level variables.
// The uncapped bwmarrin subject sets them, builds its node, and puts them back
// before any other code runs; benchmarks in this package must therefore not
// open subjects from parallel tests.
package bench
