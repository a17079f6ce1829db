package helmrelease

import (
	"testing"

	"github.com/ferry-gitops/ferry/shared/testing/surface"
	"github.com/ferry-gitops/ferry/shared/testing/testenv"
)

// TestRefusedFields: every field the compatibility table refuses stalls the object, naming it.
func TestRefusedFields(t *testing.T) {
	surface.CheckRefused(t, k8s, testenv.NewNamespace(t, k8s), "HelmRelease")
}
