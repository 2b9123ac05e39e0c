// Package k8s_test checks the deployment artefacts: the image build (the
// Dockerfile at the repository root, which the manifests here run), the
// Kubernetes manifests' images, and the etcd RBAC script, replayed against
// a real etcd. The manifests' config and wiring are checked in cmd/idcoord,
// which can load a config as idcoord serve does.
package k8s_test

import (
	"testing"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}
