// Package alert checks Alert objects (notification.toolkit.fluxcd.io/v1beta3, and v1beta2 as
// older guides write them), which have no status: on each new generation, and when the
// Provider it names comes or goes, it checks what a delivery will need — regular expressions
// that compile, an existing Provider, event sources the controller may read — and records the
// outcome as an event on the Alert.
package alert

import (
	"context"
	"fmt"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/client"

	notifycontroller "github.com/ferry-gitops/ferry/notification-controller/internal/controller"
	"github.com/ferry-gitops/ferry/notification-controller/internal/dispatch"
	fluxmeta "github.com/ferry-gitops/ferry/shared/api/meta"
	notificationv1 "github.com/ferry-gitops/ferry/shared/api/notification/v1"
	notificationv1beta3 "github.com/ferry-gitops/ferry/shared/api/notification/v1beta3"
	"github.com/ferry-gitops/ferry/shared/runtime/controller"
	"github.com/ferry-gitops/ferry/shared/runtime/manager"
	"github.com/ferry-gitops/ferry/shared/runtime/reconcile"
)

// providerIndexKey indexes Alerts by "<namespace>/<name>" of their Provider.
const providerIndexKey = ".spec.providerRef"

// Reconciler checks Alerts.
type Reconciler struct {
	client           client.Reader
	reporter         *notifycontroller.Reporter
	noCrossNamespace bool
}

// Setup registers the Alert reconciler, its index of Providers and its watches.
func Setup(mgr ctrl.Manager, rt *reconcile.Runtime, o *manager.Options) error {
	r := &Reconciler{client: rt.Client, reporter: notifycontroller.NewReporter(rt), noCrossNamespace: o.NoCrossNamespaceRefs}
	err := controller.Index(context.Background(), mgr, &notificationv1beta3.Alert{}, providerIndexKey, func(o client.Object) []string {
		a := o.(*notificationv1beta3.Alert)
		return []string{a.Namespace + "/" + a.Spec.ProviderRef.Name}
	})
	if err != nil {
		return err
	}
	newList := func() client.ObjectList { return &notificationv1beta3.AlertList{} }
	err = ctrl.NewControllerManagedBy(mgr).
		For(&notificationv1beta3.Alert{}, builder.WithPredicates(controller.Default())).
		Watches(&notificationv1beta3.Provider{}, controller.EnqueueIndexed(rt.Client, newList, providerIndexKey,
			notifycontroller.Key, nil),
			builder.WithPredicates(controller.Lifecycle[*notificationv1beta3.Provider](nil))).
		WithOptions(o.ControllerOptions()).
		Named("alert").
		Complete(r)
	if err != nil {
		return fmt.Errorf("failed to set up the Alert controller: %w", err)
	}
	return nil
}

// Reconcile checks the Alert named by req.
func (r *Reconciler) Reconcile(ctx context.Context, req ctrl.Request) (ctrl.Result, error) {
	a := &notificationv1beta3.Alert{}
	if err := r.client.Get(ctx, req.NamespacedName, a); err != nil {
		if apierrors.IsNotFound(err) {
			r.reporter.Forget(req.NamespacedName)
			return ctrl.Result{}, nil
		}
		return ctrl.Result{}, fmt.Errorf("failed to get Alert: %w", err)
	}
	f, err := r.check(ctx, a)
	if err != nil {
		return ctrl.Result{}, err
	}
	r.reporter.Report(ctx, a, f)
	return ctrl.Result{}, nil
}

// check finds what would keep a from forwarding events.
func (r *Reconciler) check(ctx context.Context, a *notificationv1beta3.Alert) (notifycontroller.Finding, error) {
	if _, _, err := dispatch.CompileFilters(a); err != nil {
		return notifycontroller.Finding{Warning: true, Reason: notificationv1.InvalidConfigReason, Message: err.Error()}, nil
	}
	if r.noCrossNamespace {
		for i, src := range a.Spec.EventSources {
			if src.Namespace != "" && src.Namespace != a.Namespace {
				return notifycontroller.Finding{Warning: true, Reason: fluxmeta.AccessDeniedReason, Message: fmt.Sprintf(
					"spec.eventSources[%d] selects namespace '%s': cross-namespace references are disabled (--no-cross-namespace-refs); its events are not forwarded",
					i, src.Namespace)}, nil
			}
		}
	}
	key := client.ObjectKey{Namespace: a.Namespace, Name: a.Spec.ProviderRef.Name}
	if err := r.client.Get(ctx, key, &notificationv1beta3.Provider{}); err != nil {
		if !apierrors.IsNotFound(err) {
			return notifycontroller.Finding{}, fmt.Errorf("failed to get Provider: %w", err)
		}
		return notifycontroller.Finding{Warning: true, Reason: notificationv1.ValidationFailedReason,
			Message: fmt.Sprintf("Provider '%s' not found: no event is forwarded until it exists", key)}, nil
	}
	msg := "Alert initialized"
	if a.Spec.Suspend {
		msg = "Alert initialized; suspended: no event is forwarded"
	}
	return notifycontroller.Finding{Reason: notificationv1.InitializedReason, Message: msg}, nil
}
