package controller

import (
	"context"
	"fmt"
	"time"

	"sigs.k8s.io/controller-runtime/pkg/client"

	sourcev1 "github.com/ferry-gitops/ferry/shared/api/source/v1"
	"github.com/ferry-gitops/ferry/shared/runtime/reconcile"
	"github.com/ferry-gitops/ferry/shared/runtime/unsupported"
	"github.com/ferry-gitops/ferry/source-controller/internal/storage"
)

// Object is an object of a source kind.
type Object interface {
	client.Object
	sourcev1.Source
}

// Kind returns the reconcile.Kind of the source kind named kind: it refuses the fields of
// refused (the object is stalled before any step), runs steps, carries the source finalizer,
// which removes the object's artifacts from st, and reconciles the object again after its
// interval. A kind with more to clean up replaces Finalize.
func Kind[T Object](kind string, newObj func() T, st *storage.Storage, refused []unsupported.Rule, steps []reconcile.Step[T]) *reconcile.Kind[T] {
	return &reconcile.Kind[T]{
		Name:        kind,
		New:         newObj,
		Finalizer:   sourcev1.SourceFinalizer,
		Unsupported: refused,
		Steps:       steps,
		Finalize: func(ctx context.Context, s *reconcile.Scope[T]) reconcile.Result {
			return Finalize(ctx, st, kind, s.Obj)
		},
		Interval: func(obj T) time.Duration { return obj.GetRequeueAfter() },
	}
}

// RefuseValue returns the rule refusing value at path, with the message
// "<path> <value> is not supported by Ferry: <advice>".
func RefuseValue(path, value, advice string) unsupported.Rule {
	return unsupported.Rule{Path: path, Values: []string{value},
		Message: fmt.Sprintf("%s %s is not supported by Ferry: %s", path, value, advice)}
}
