package controller

import (
	"context"
	"fmt"
	"time"

	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	ctrlreconcile "sigs.k8s.io/controller-runtime/pkg/reconcile"

	"github.com/ferry-gitops/ferry/shared/runtime/manager"
	"github.com/ferry-gitops/ferry/shared/runtime/reconcile"
	"github.com/ferry-gitops/ferry/shared/runtime/unsupported"
)

// NotReconciledMessage is what an object of a kind Ferry does not reconcile yet says.
func NotReconciledMessage(kind string) string {
	return fmt.Sprintf("%s is not reconciled by Ferry yet", kind)
}

// RefuseKind registers a reconciler for a kind Ferry accepts but does not reconcile yet: every
// object of it is Stalled (UnsupportedSpec, NotReconciledMessage), so that nobody mistakes an
// accepted object for one that works.
func RefuseKind[T reconcile.Object](mgr ctrl.Manager, rt *reconcile.Runtime, o *manager.Options, kind string, newObj func() T) error {
	k := &reconcile.Kind[T]{
		Name:        kind,
		New:         newObj,
		Unsupported: []unsupported.Rule{{Path: "spec", Message: NotReconciledMessage(kind)}},
		Interval:    func(T) time.Duration { return 0 },
	}
	err := ctrl.NewControllerManagedBy(mgr).
		For(newObj(), builder.WithPredicates(Default())).
		WithOptions(o.ControllerOptions()).
		Complete(ctrlreconcile.Func(func(ctx context.Context, req ctrl.Request) (ctrl.Result, error) {
			return reconcile.Run(ctx, rt, k, req)
		}))
	if err != nil {
		return fmt.Errorf("failed to set up the %s controller: %w", kind, err)
	}
	return nil
}
