package action

import (
	"context"
	"fmt"
	"time"

	"helm.sh/helm/v3/pkg/kube"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	cmdutil "k8s.io/kubectl/pkg/cmd/util"
	"k8s.io/kubectl/pkg/validation"

	"github.com/ferry-gitops/ferry/shared/health"
)

// factory is the kube.Factory of Helm's client: kubectl's factory over the shared clients,
// except that the clientset and the OpenAPI validator are shared rather than built per
// call.
type factory struct {
	cmdutil.Factory
	shared *clients
}

// KubernetesClientSet returns the shared clientset.
func (f *factory) KubernetesClientSet() (*kubernetes.Clientset, error) {
	return f.shared.clientset, nil
}

// Validator returns a schema that accepts everything unless the directive is Strict, in
// which case it returns the identity's shared kubectl validator. That validator first
// asks the API server's OpenAPI v3 document whether the object's group version supports
// server-side field validation (every supported Kubernetes version does) and validates
// client-side, against the OpenAPI v2 schema, only when it does not. Built per release,
// as Helm's client does, it downloads and decodes those documents again for every release
// (about 16 MiB allocated each on a small cluster); shared, once per group version and
// validatorTTL. Group versions that appear later (new CRDs) are looked up then, so
// sharing it never makes it reject a valid object.
func (f *factory) Validator(directive string) (validation.Schema, error) {
	if directive != metav1.FieldValidationStrict {
		return validation.NullSchema{}, nil
	}
	return f.shared.validator, nil
}

// waiter is Helm's kube.Interface, applying server-side when the action asks for it, with
// readiness waits done by shared/health, the kstatus rules the kustomize-controller uses (and
// the custom CEL checks of the release), instead of Helm's own checks; or, when legacy is
// set, by Helm 3's own checks for the kinds the custom checks do not name. ctx bounds the
// waits besides Helm's timeout; it is set for each action.
type waiter struct {
	*kube.Client
	shared  *clients
	checks  *health.Checks
	legacy  bool
	checked func(apiVersion, kind string) bool
	ctx     context.Context
	// ssa applies the objects of the action server-side (see ssa.go); migrate first hands
	// the fields of Helm's client-side patches to that apply. Both are set per action.
	ssa, migrate bool
}

// Wait waits until every resource but Jobs is ready, or the timeout passes.
func (w *waiter) Wait(resources kube.ResourceList, timeout time.Duration) error {
	return w.wait(resources, timeout, false)
}

// WaitWithJobs waits until every resource, Jobs included, is ready.
func (w *waiter) WaitWithJobs(resources kube.ResourceList, timeout time.Duration) error {
	return w.wait(resources, timeout, true)
}

// wait sorts the resources into those Helm's checks decide (legacy) and those shared/health
// decides, and waits for both within one timeout.
func (w *waiter) wait(resources kube.ResourceList, timeout time.Duration, jobs bool) error {
	var refs []health.ObjectRef
	var legacy kube.ResourceList
	for _, info := range resources {
		if info.Mapping == nil {
			continue
		}
		gvk := info.Mapping.GroupVersionKind
		if !jobs && gvk.Group == "batch" && gvk.Kind == "Job" {
			continue
		}
		ref := refOf(info)
		if w.legacy && (w.checked == nil || !w.checked(ref.APIVersion, ref.Kind)) {
			legacy = append(legacy, info)
			continue
		}
		refs = append(refs, ref)
	}
	if len(refs)+len(legacy) == 0 {
		return nil
	}
	parent := w.ctx
	if parent == nil {
		parent = context.Background()
	}
	ctx, cancel := context.WithTimeout(parent, timeout)
	defer cancel()
	if len(legacy) > 0 {
		w.Log("waiting for %d resource(s) to become ready (Helm's checks), timeout %s", len(legacy), timeout)
		if err := waitLegacy(ctx, w, legacy, jobs); err != nil {
			return fmt.Errorf("failed to wait for the release's resources: %w", err)
		}
	}
	if len(refs) == 0 {
		return nil
	}
	w.Log("waiting for %d resource(s) to become Current, timeout %s", len(refs), timeout)
	opts := health.WaitOptions{Interval: waitInterval, Compute: w.checks.Compute}
	if err := health.Wait(ctx, w.shared.client, refs, opts); err != nil {
		return fmt.Errorf("failed to wait for the release's resources: %w", err)
	}
	return nil
}

// waitInterval is how often the readiness of a release's resources is polled.
const waitInterval = time.Second

var (
	_ kube.Interface                    = (*waiter)(nil)
	_ kube.InterfaceExt                 = (*waiter)(nil)
	_ kube.InterfaceThreeWayMerge       = (*waiter)(nil)
	_ kube.InterfaceLogs                = (*waiter)(nil)
	_ kube.InterfaceDeletionPropagation = (*waiter)(nil)
	_ kube.InterfaceResources           = (*waiter)(nil)
)
