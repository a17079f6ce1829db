package controller

import (
	"context"
	"fmt"
	"time"

	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	fluxmeta "github.com/ferry-gitops/ferry/shared/api/meta"
)

// RequestReconcile asks obj's controller to reconcile it now, as `flux reconcile` and a
// webhook Receiver do: a merge patch of the reconcile.fluxcd.io/requestedAt annotation alone,
// set to the current time.
func RequestReconcile(ctx context.Context, c client.Writer, obj client.Object) error {
	patch := fmt.Sprintf(`{"metadata":{"annotations":{%q:%q}}}`, fluxmeta.ReconcileRequestAnnotation, time.Now().Format(time.RFC3339Nano))
	if err := c.Patch(ctx, obj, client.RawPatch(types.MergePatchType, []byte(patch))); err != nil {
		return fmt.Errorf("failed to request a reconcile of %s/%s: %w", obj.GetNamespace(), obj.GetName(), err)
	}
	return nil
}
