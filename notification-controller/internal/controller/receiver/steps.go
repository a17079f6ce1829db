package receiver

import (
	"context"
	"errors"
	"fmt"

	"github.com/ferry-gitops/ferry/notification-controller/internal/hook"
	"github.com/ferry-gitops/ferry/notification-controller/internal/oidc"
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
	if err := validateOIDC(obj); err != nil {
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

// validateOIDC checks that spec.oidcProviders is set exactly for a generic-oidc Receiver,
// which has no Secret, and that its providers compile (issuer URLs, CEL variables and
// validations).
func validateOIDC(obj *notificationv1.Receiver) error {
	if obj.Spec.Type != notificationv1.GenericOIDCReceiver {
		if len(obj.Spec.OIDCProviders) > 0 {
			return errors.New("spec.oidcProviders can only be set when spec.type is generic-oidc")
		}
		return nil
	}
	if obj.Spec.SecretRef != nil {
		return errors.New("spec.secretRef cannot be set when spec.type is generic-oidc: its requests carry an OIDC token instead")
	}
	_, err := oidc.Compile(obj.Spec.OIDCProviders)
	return err
}

// token reads the Receiver's token and publishes the webhook path it forms. A generic-oidc
// Receiver has no token: its path is formed from its name and namespace alone, as in Flux.
func (st *state) token(ctx context.Context, s *reconcile.Scope[*notificationv1.Receiver]) reconcile.Result {
	if s.Obj.Spec.Type == notificationv1.GenericOIDCReceiver {
		path := s.Obj.GetWebhookPath("")
		s.Obj.Status.WebhookPath = path
		return reconcile.Done(fluxmeta.SucceededReason, "Receiver initialized for path: "+path)
	}
	secret, err := hook.ReadSecret(ctx, st.r.secrets, s.Obj)
	if err != nil {
		s.Obj.Status.WebhookPath = ""
		return reconcile.Waiting(notificationv1.TokenNotFoundReason, err)
	}
	path := s.Obj.GetWebhookPath(secret.Token)
	s.Obj.Status.WebhookPath = path
	return reconcile.Done(fluxmeta.SucceededReason, "Receiver initialized for path: "+path)
}
