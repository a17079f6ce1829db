package imageupdateautomation

import (
	"maps"

	"sigs.k8s.io/controller-runtime/pkg/predicate"

	imagev1 "github.com/ferry-gitops/ferry/shared/api/image/v1"
	"github.com/ferry-gitops/ferry/shared/runtime/conditions"
	"github.com/ferry-gitops/ferry/shared/runtime/controller"
)

// latestChanged passes the ImagePolicy events an automation reacts to: a policy created or
// deleted, another elected image (status.latestRef), a change of its Ready status, and new
// labels (a selector may now take it or leave it).
func latestChanged() predicate.Predicate {
	return controller.Lifecycle(func(o, n *imagev1.ImagePolicy) bool {
		return latest(o) != latest(n) || conditions.IsReady(o) != conditions.IsReady(n) ||
			!maps.Equal(o.GetLabels(), n.GetLabels())
	})
}

// latest is the policy's elected image, or "".
func latest(p *imagev1.ImagePolicy) string {
	if p.Status.LatestRef == nil {
		return ""
	}
	return p.Status.LatestRef.String()
}
