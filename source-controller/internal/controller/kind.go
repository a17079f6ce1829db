package controller

import (
	"fmt"
	"time"

	"sigs.k8s.io/controller-runtime/pkg/client"

	sourcev1 "github.com/ferry-gitops/ferry/shared/api/source/v1"
	"github.com/ferry-gitops/ferry/shared/runtime/reconcile"
	"github.com/ferry-gitops/ferry/shared/runtime/unsupported"
)

// Object is an object of a source kind.
type Object interface {
	client.Object
	sourcev1.Source
}

// Kind returns the reconcile.Kind of the source kind: it refuses the fields of refused (the
// object is stalled before any step), runs steps (the first of which calls Check), carries
// the source finalizer, which removes the object's artifacts, and reconciles the object again
// after its interval.
func (a *Artifacts[T]) Kind(newObj func() T, refused []unsupported.Rule, steps []reconcile.Step[T]) *reconcile.Kind[T] {
	return &reconcile.Kind[T]{
		Name:        a.kind,
		New:         newObj,
		Finalizer:   sourcev1.SourceFinalizer,
		Unsupported: refused,
		Steps:       steps,
		Finalize:    a.Finalize,
		Interval:    func(obj T) time.Duration { return obj.GetRequeueAfter() },
	}
}

// RefuseValue returns the rule refusing value at path, with the message
// "<path> <value> is not supported by Ferry: <advice>".
func RefuseValue(path, value, advice string) unsupported.Rule {
	return unsupported.Rule{Path: path, Values: []string{value},
		Message: fmt.Sprintf("%s %s is not supported by Ferry: %s", path, value, advice)}
}
