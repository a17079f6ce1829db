package helmrelease

import (
	"sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/predicate"

	fluxmeta "github.com/ferry-gitops/ferry/shared/api/meta"
	sourcev1 "github.com/ferry-gitops/ferry/shared/api/source/v1"
	"github.com/ferry-gitops/ferry/shared/runtime/conditions"
)

// sourceChanged passes the source events a release reacts to: a source created with an
// artifact, a new artifact digest, a change of the Ready condition (so that a failing chart
// is reported at once), a new observed generation (a HelmChart caught up with the template),
// and deletions.
func sourceChanged() predicate.Predicate {
	return predicate.Funcs{
		CreateFunc: func(e event.CreateEvent) bool {
			src, ok := e.Object.(sourcev1.Source)
			return ok && src.GetArtifact() != nil
		},
		DeleteFunc:  func(event.DeleteEvent) bool { return true },
		GenericFunc: func(event.GenericEvent) bool { return false },
		UpdateFunc: func(e event.UpdateEvent) bool {
			o, ok1 := e.ObjectOld.(sourcev1.Source)
			n, ok2 := e.ObjectNew.(sourcev1.Source)
			if !ok1 || !ok2 {
				return false
			}
			return artifactDigest(o) != artifactDigest(n) || readyState(o) != readyState(n) ||
				o.GetObjectStatus().ObservedGeneration != n.GetObjectStatus().ObservedGeneration
		},
	}
}

func artifactDigest(src sourcev1.Source) string {
	if a := src.GetArtifact(); a != nil {
		return a.Digest + " " + a.URL
	}
	return ""
}

func readyState(src sourcev1.Source) string {
	c := conditions.Get(src, fluxmeta.ReadyCondition)
	if c == nil {
		return ""
	}
	return string(c.Status) + " " + c.Reason + " " + c.Message
}
