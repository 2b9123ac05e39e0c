package sidecar_test

import (
	"github.com/idcoord/idcoord"
	"github.com/idcoord/idcoord/sidecar"
)

// The library's Node is what the sidecar serves from in production.
var _ sidecar.Source = (*idcoord.Node)(nil)
