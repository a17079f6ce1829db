// Package receiver reconciles Receiver objects (notification.toolkit.fluxcd.io/v1): it checks
// the spec (supported type, filters and OIDC policies that compile, resources the controller
// may reach), reads the token of its Secret (generic-oidc Receivers have none) and publishes
// status.webhookPath, the path internal/hook serves the Receiver's webhook at.
package receiver

import (
	"context"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/client"

	notifycontroller "github.com/ferry-gitops/ferry/notification-controller/internal/controller"
	notificationv1 "github.com/ferry-gitops/ferry/shared/api/notification/v1"
	"github.com/ferry-gitops/ferry/shared/runtime/controller"
	"github.com/ferry-gitops/ferry/shared/runtime/manager"
	"github.com/ferry-gitops/ferry/shared/runtime/reconcile"
)

// secretIndexKey indexes Receivers by "<namespace>/<name>" of their Secret.
const secretIndexKey = ".spec.secretRef"

// Reconciler reconciles Receivers.
type Reconciler struct {
	rt               *reconcile.Runtime
	secrets          client.Reader
	noCrossNamespace bool
}

// Setup registers the Receiver reconciler, its index of Secrets and its watches. Secrets are
// read from the API server, and only their metadata is cached.
func Setup(mgr ctrl.Manager, rt *reconcile.Runtime, o *manager.Options) error {
	r := &Reconciler{rt: rt, secrets: mgr.GetAPIReader(), noCrossNamespace: o.NoCrossNamespaceRefs}
	err := controller.Index(context.Background(), mgr, &notificationv1.Receiver{}, secretIndexKey, func(o client.Object) []string {
		recv := o.(*notificationv1.Receiver)
		if recv.Spec.SecretRef == nil {
			return nil
		}
		return []string{recv.Namespace + "/" + recv.Spec.SecretRef.Name}
	})
	if err != nil {
		return err
	}
	newList := func() client.ObjectList { return &notificationv1.ReceiverList{} }
	err = ctrl.NewControllerManagedBy(mgr).
		For(&notificationv1.Receiver{}, builder.WithPredicates(controller.Default())).
		Watches(&corev1.Secret{}, controller.EnqueueIndexed(rt.Client, newList, secretIndexKey,
			notifycontroller.Key, nil), builder.OnlyMetadata).
		WithOptions(o.ControllerOptions()).
		Named("receiver").
		Complete(r)
	if err != nil {
		return fmt.Errorf("failed to set up the Receiver controller: %w", err)
	}
	return nil
}

// Reconcile runs one reconciliation of the Receiver named by req.
func (r *Reconciler) Reconcile(ctx context.Context, req ctrl.Request) (ctrl.Result, error) {
	st := &state{r: r}
	return reconcile.Run(ctx, r.rt, st.kind(), req)
}
