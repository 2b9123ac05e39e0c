// Package metricstest checks monitoring artefacts (a Grafana dashboard,
// Prometheus rules) against what idcoord really exports. It is an ordinary
// package, not a _test.go file, so that the tests under configs can share
// it.
//
// Contract:
//
//   - MetricNames returns the metric names a PromQL expression reads, and
//     nothing else: not the functions, aggregations, keywords, label names
//     (in matchers, by/without/on/ignoring/group_left/group_right lists),
//     strings, numbers, durations, or Grafana variables ($x, ${x},
//     [[x]]). An expression it cannot read (an unclosed bracket or string,
//     a character PromQL has no use for) is an error naming the offset,
//     never a panic or a silently short list.
//   - Live starts what an operator runs: an etcd server and two `idcoord
//     serve` processes built from this repository, a segment tag created
//     and loaded, Snowflake and segment requests made on the socket over
//     both protocols and on the Leaf-compatible API (leaf.addr), and the
//     second node's peer clock check done; then it
//     scrapes both nodes' /metrics. Every series the dashboard and the rules
//     can ask for exists by then. The processes stop through tb.Cleanup.
//   - A histogram is exported as its _bucket, _sum and _count series, as a
//     query names them; the bare family name is not a series.
package metricstest
