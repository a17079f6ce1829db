// Package provider checks Provider objects (notification.toolkit.fluxcd.io/v1beta3), which
// have no status: on each new generation, and when a Secret it names changes, it resolves the
// Provider the way a delivery will (its type, its Secrets, its commit status expression) and
// records the outcome as an event on the Provider — a Warning naming the problem, or a Normal
// event once it works. It also makes the deliveries use the new settings at once.
package provider

import (
	"context"
	"errors"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/client"

	notifycontroller "github.com/ferry-gitops/ferry/notification-controller/internal/controller"
	"github.com/ferry-gitops/ferry/notification-controller/internal/sender"
	fluxmeta "github.com/ferry-gitops/ferry/shared/api/meta"
	notificationv1 "github.com/ferry-gitops/ferry/shared/api/notification/v1"
	notificationv1beta3 "github.com/ferry-gitops/ferry/shared/api/notification/v1beta3"
	"github.com/ferry-gitops/ferry/shared/runtime/controller"
	"github.com/ferry-gitops/ferry/shared/runtime/manager"
	"github.com/ferry-gitops/ferry/shared/runtime/reconcile"
	"github.com/ferry-gitops/ferry/shared/runtime/unsupported"
)

// secretsIndexKey indexes Providers by the names of the Secrets they reference.
const secretsIndexKey = ".spec.secretRefs"

// Reconciler checks Providers.
type Reconciler struct {
	client   client.Reader
	senders  *sender.Registry
	reporter *notifycontroller.Reporter
}

// Setup registers the Provider reconciler, its index of Secrets and its watches. Secrets are
// read from the API server (by senders), and only their metadata is cached.
func Setup(mgr ctrl.Manager, rt *reconcile.Runtime, o *manager.Options, senders *sender.Registry) error {
	r := &Reconciler{client: rt.Client, senders: senders, reporter: notifycontroller.NewReporter(rt)}
	if err := controller.Index(context.Background(), mgr, &notificationv1beta3.Provider{}, secretsIndexKey, secretNames); err != nil {
		return err
	}
	newList := func() client.ObjectList { return &notificationv1beta3.ProviderList{} }
	err := ctrl.NewControllerManagedBy(mgr).
		For(&notificationv1beta3.Provider{}, builder.WithPredicates(controller.Default())).
		Watches(&corev1.Secret{}, controller.EnqueueIndexed(rt.Client, newList, secretsIndexKey,
			notifycontroller.Key, nil), builder.OnlyMetadata).
		WithOptions(o.ControllerOptions()).
		Named("provider").
		Complete(r)
	if err != nil {
		return fmt.Errorf("failed to set up the Provider controller: %w", err)
	}
	return nil
}

// secretNames returns "<namespace>/<name>" of every Secret a Provider references.
func secretNames(o client.Object) []string {
	p, ok := o.(*notificationv1beta3.Provider)
	if !ok {
		return nil
	}
	var out []string
	for _, ref := range []*fluxmeta.LocalObjectReference{p.Spec.SecretRef, p.Spec.ProxySecretRef, p.Spec.CertSecretRef} {
		if ref != nil {
			out = append(out, p.Namespace+"/"+ref.Name)
		}
	}
	return out
}

// Reconcile checks the Provider named by req.
func (r *Reconciler) Reconcile(ctx context.Context, req ctrl.Request) (ctrl.Result, error) {
	r.senders.Forget(req.NamespacedName)
	p := &notificationv1beta3.Provider{}
	if err := r.client.Get(ctx, req.NamespacedName, p); err != nil {
		if apierrors.IsNotFound(err) {
			r.reporter.Forget(req.NamespacedName)
			return ctrl.Result{}, nil
		}
		return ctrl.Result{}, fmt.Errorf("failed to get Provider: %w", err)
	}
	r.reporter.Report(ctx, p, r.check(ctx, p))
	return ctrl.Result{}, nil
}

// check resolves p as a delivery would, and gets a token of the identity of its
// spec.serviceAccountName.
func (r *Reconciler) check(ctx context.Context, p *notificationv1beta3.Provider) notifycontroller.Finding {
	if err := unsupported.Check(p, unsupportedFields); err != nil {
		return notifycontroller.Finding{Warning: true, Reason: fluxmeta.UnsupportedSpecReason, Message: err.Error()}
	}
	if err := r.senders.Check(ctx, p); err != nil {
		reason := notificationv1.ValidationFailedReason
		switch {
		case errors.Is(err, sender.ErrSecret):
			reason = notificationv1.TokenNotFoundReason
		case errors.Is(err, sender.ErrUnsupported):
			reason = fluxmeta.UnsupportedSpecReason
		case errors.Is(err, sender.ErrFeatureGate):
			reason = fluxmeta.FeatureGateDisabledReason
		}
		return notifycontroller.Finding{Warning: true, Reason: reason, Message: err.Error()}
	}
	msg := fmt.Sprintf("Provider of type %s initialized", p.Spec.Type)
	if p.Spec.Suspend {
		msg = fmt.Sprintf("Provider of type %s initialized; suspended: no notification is sent", p.Spec.Type)
	}
	return notifycontroller.Finding{Reason: notificationv1.InitializedReason, Message: msg}
}
