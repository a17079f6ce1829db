package imageupdateautomation

import (
	"context"
	"errors"
	"fmt"
	"path"
	"strings"

	"github.com/go-git/go-git/v5/config"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"

	"github.com/ferry-gitops/ferry/image-automation-controller/internal/message"
	imagev1 "github.com/ferry-gitops/ferry/shared/api/image/v1"
	"github.com/ferry-gitops/ferry/shared/runtime/reconcile"
)

// BranchTemplateAnnotation opts an automation into one push branch per update: its value is
// a template over the commit message's data (.Changed, .AutomationObject, .Values) whose
// result names the branch each update is pushed to, instead of spec.git.push.branch. Flux
// has no such setting (image-automation-controller issues #524 and #938).
const BranchTemplateAnnotation = "image.ferry-gitops.dev/push-branch-template"

// validate stalls on a spec that cannot work until it changes, and parses the templates.
func (st *state) validate(_ context.Context, s *scope) reconcile.Result {
	obj := s.Obj
	spec := obj.Spec
	if spec.GitSpec == nil {
		return reconcile.Stalled(imagev1.InvalidSourceConfigReason, errors.New("spec.git is required: it says how to commit and where to push"))
	}
	if err := validateUpdate(spec.Update); err != nil {
		return reconcile.Stalled(imagev1.InvalidUpdateStrategyReason, err)
	}
	st.selector = labels.Everything()
	if spec.PolicySelector != nil {
		sel, err := metav1.LabelSelectorAsSelector(spec.PolicySelector)
		if err != nil {
			return reconcile.Stalled(imagev1.InvalidPolicySelectorReason, fmt.Errorf("invalid spec.policySelector: %w", err))
		}
		st.selector = sel
	}
	text := spec.GitSpec.Commit.MessageTemplate
	if text == "" {
		text = message.DefaultTemplate
	}
	var err error
	if st.message, err = message.Parse("spec.git.commit.messageTemplate", text); err != nil {
		return reconcile.Stalled(imagev1.GitOperationFailedReason, err)
	}
	if st.message.UsesUpdated() && obj.Status.ObservedGeneration != obj.Generation {
		s.Event(corev1.EventTypeWarning, imagev1.RemovedTemplateFieldReason, "spec.git.commit.messageTemplate uses .Updated, "+
			"which Flux's v1 API removed (Flux stalls such objects): Ferry renders it as older Flux did; use .Changed instead")
	}
	if p := spec.GitSpec.Push; p != nil && p.Refspec != "" {
		if err := config.RefSpec(p.Refspec).Validate(); err != nil || strings.HasPrefix(p.Refspec, "+") || config.RefSpec(p.Refspec).IsDelete() {
			return reconcile.Stalled(imagev1.InvalidSourceConfigReason,
				fmt.Errorf("invalid spec.git.push.refspec '%s': want <source>:<destination>, neither forced (+) nor deleting", p.Refspec))
		}
	}
	if tmpl, ok := obj.Annotations[BranchTemplateAnnotation]; ok {
		if st.branchTemplate, err = message.Parse("the annotation "+BranchTemplateAnnotation, tmpl); err != nil {
			return reconcile.Stalled(imagev1.InvalidSourceConfigReason, err)
		}
	}
	return reconcile.Done("", "")
}

// validateUpdate accepts the Setters strategy and a path inside the repository.
func validateUpdate(u *imagev1.UpdateStrategy) error {
	if u == nil {
		return nil
	}
	if u.Strategy != "" && u.Strategy != imagev1.UpdateStrategySetters {
		return fmt.Errorf("spec.update.strategy '%s' is not supported: use Setters", u.Strategy)
	}
	if p := updatePath(u); p != "" && (strings.HasPrefix(u.Path, "/") || strings.HasPrefix(p, "../") || p == "..") {
		return fmt.Errorf("spec.update.path '%s' must be relative and stay inside the repository", u.Path)
	}
	return nil
}

// updatePath returns spec.update.path as a clean slash path, "" for the root.
func updatePath(u *imagev1.UpdateStrategy) string {
	if u == nil {
		return ""
	}
	p := path.Clean(strings.TrimPrefix(u.Path, "/"))
	if p == "." {
		return ""
	}
	return p
}
