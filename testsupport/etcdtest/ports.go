package etcdtest

import "github.com/idcoord/idcoord/testsupport/testproc"

// pickPorts chooses ports for a start; tests replace it to force a conflict.
var pickPorts = testproc.FreePorts
