package etcdtest

import "github.com/idcoord/idcoord/coord/coordtest/testproc"

// pickPorts chooses ports for a start; tests replace it to force a conflict.
var pickPorts = testproc.FreePorts
