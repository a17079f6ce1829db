package controller

import (
	"sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/predicate"

	fluxmeta "github.com/ferry-gitops/ferry/shared/api/meta"
	sourcev1 "github.com/ferry-gitops/ferry/shared/api/source/v1"
	"github.com/ferry-gitops/ferry/shared/runtime/conditions"
)

// SourceChanged passes the events of a watched source that its consumers (a HelmChart of a
// HelmRepository, a HelmRelease of its chart) react to: a source created with an artifact, a
// new artifact (digest, URL or revision), a new generation or observed generation (a source
// switching type, or catching up with its spec), a change of its Ready condition (so that a
// failing source is reported at once), and deletion.
func SourceChanged() predicate.Predicate {
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
			return artifactKey(o) != artifactKey(n) || readyKey(o) != readyKey(n) ||
				o.GetGeneration() != n.GetGeneration() ||
				o.GetObjectStatus().ObservedGeneration != n.GetObjectStatus().ObservedGeneration
		},
	}
}

func artifactKey(src sourcev1.Source) string {
	if a := src.GetArtifact(); a != nil {
		return a.Digest + " " + a.URL + " " + a.Revision
	}
	return ""
}

func readyKey(src sourcev1.Source) string {
	if c := conditions.Get(src, fluxmeta.ReadyCondition); c != nil {
		return string(c.Status) + " " + c.Reason + " " + c.Message
	}
	return ""
}
