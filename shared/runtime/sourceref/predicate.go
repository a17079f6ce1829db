package sourceref

import (
	"sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/predicate"

	fluxmeta "github.com/ferry-gitops/ferry/shared/api/meta"
	sourcev1 "github.com/ferry-gitops/ferry/shared/api/source/v1"
	"github.com/ferry-gitops/ferry/shared/runtime/conditions"
)

// ArtifactChanged is the one rule deciding which events of a source wake its consumers. It
// passes:
//   - a creation: a consumer may be waiting for the source to exist;
//   - a deletion: consumers report that their source is gone;
//   - an update that changes the artifact (revision, digest or URL — the URL moves when
//     source-controller's advertised address does);
//   - an update that changes the source's Ready condition (status, reason or message), so a
//     consumer reports a failing source at once and recovers with it;
//   - an update of the generation or observed generation (the source's spec changed, or the
//     source caught up with it), so a consumer never acts on an artifact of an old spec.
//
// Everything else (resync, status fields consumers don't read) is dropped.
func ArtifactChanged() predicate.Predicate {
	return predicate.Funcs{
		CreateFunc:  func(event.CreateEvent) bool { return true },
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
