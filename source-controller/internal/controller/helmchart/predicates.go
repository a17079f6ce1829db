package helmchart

import (
	"sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/predicate"

	fluxmeta "github.com/ferry-gitops/ferry/shared/api/meta"
	sourcev1 "github.com/ferry-gitops/ferry/shared/api/source/v1"
	"github.com/ferry-gitops/ferry/shared/runtime/conditions"
)

// sourceChanged passes source events that may change a chart: creation and deletion, a new
// artifact, a new generation (such as a HelmRepository switching type) and a change of
// readiness.
func sourceChanged() predicate.Predicate {
	return predicate.Funcs{
		UpdateFunc: func(e event.UpdateEvent) bool {
			o, ok1 := e.ObjectOld.(sourcev1.Source)
			n, ok2 := e.ObjectNew.(sourcev1.Source)
			if !ok1 || !ok2 {
				return false
			}
			if e.ObjectOld.GetGeneration() != e.ObjectNew.GetGeneration() {
				return true
			}
			oa, na := o.GetArtifact(), n.GetArtifact()
			if (oa == nil) != (na == nil) || (oa != nil && (oa.Digest != na.Digest || oa.Revision != na.Revision)) {
				return true
			}
			return readyStatus(o) != readyStatus(n)
		},
		GenericFunc: func(event.GenericEvent) bool { return false },
	}
}

func readyStatus(obj sourcev1.Source) string {
	if c := conditions.Get(obj, fluxmeta.ReadyCondition); c != nil {
		return string(c.Status)
	}
	return ""
}
