package receiver

import (
	"context"
	"fmt"

	"github.com/ferry-gitops/ferry/notification-controller/internal/hook"
	fluxmeta "github.com/ferry-gitops/ferry/shared/api/meta"
	notificationv1 "github.com/ferry-gitops/ferry/shared/api/notification/v1"
	"github.com/ferry-gitops/ferry/shared/runtime/reconcile"
)

// validate stalls a Receiver whose filters do not compile, whose resources name a kind
// Ferry cannot reach, or, with cross-namespace references disabled, another namespace.
func (st *state) validate(_ context.Context, s *reconcile.Scope[*notificationv1.Receiver]) reconcile.Result {
	obj := s.Obj
	if _, _, err := hook.CompileFilters(obj); err != nil {
		return reconcile.Stalled(notificationv1.InvalidConfigReason, err)
	}
	for i, res := range obj.Spec.Resources {
		if _, err := hook.GVK(res.APIVersion, res.Kind); err != nil {
			return reconcile.Stalled(notificationv1.InvalidConfigReason, fmt.Errorf("spec.resources[%d]: %w", i, err))
		}
		if st.r.noCrossNamespace && res.Namespace != "" && res.Namespace != obj.Namespace {
			return reconcile.Stalled(fluxmeta.AccessDeniedReason, fmt.Errorf("spec.resources[%d] is in namespace '%s': %w", i, res.Namespace, hook.ErrCrossNamespace))
		}
	}
	return reconcile.Result{}
}

// token reads the Receiver's token and publishes the webhook path it forms.
func (st *state) token(ctx context.Context, s *reconcile.Scope[*notificationv1.Receiver]) reconcile.Result {
	secret, err := hook.ReadSecret(ctx, st.r.secrets, s.Obj)
	if err != nil {
		s.Obj.Status.WebhookPath = ""
		return reconcile.Waiting(notificationv1.TokenNotFoundReason, err)
	}
	path := s.Obj.GetWebhookPath(secret.Token)
	s.Obj.Status.WebhookPath = path
	return reconcile.Done(fluxmeta.SucceededReason, "Receiver initialized for path: "+path)
}
