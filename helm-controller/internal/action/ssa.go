package action

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"helm.sh/helm/v3/pkg/kube"
	"helm.sh/helm/v3/pkg/release"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/sets"
	"k8s.io/cli-runtime/pkg/resource"
	"k8s.io/client-go/util/csaupgrade"

	helmv2 "github.com/ferry-gitops/ferry/shared/api/helm/v2"
)

// ApplyMethodLabel is the label of a release's storage Secret that records how the release's
// objects were applied, ApplyMethodServerSide or ApplyMethodClientSide: the name and values of
// the apply_method field Helm 4 keeps in its releases (HIP-0023), which Helm 3's release has
// no field for.
const ApplyMethodLabel = "apply_method"

const (
	// ApplyMethodServerSide marks a release applied with server-side apply.
	ApplyMethodServerSide = "ssa"
	// ApplyMethodClientSide marks a release applied with Helm 3's three-way merge patches.
	ApplyMethodClientSide = "csa"
)

// ApplyMethod returns how rel's objects were applied: ApplyMethodServerSide when its record
// says so, ApplyMethodClientSide otherwise, as for releases written by Helm 3 or an older
// Ferry, which carry no record (Helm 4 reads them the same way). A nil release is
// client-side.
func ApplyMethod(rel *release.Release) string {
	if rel != nil && rel.Labels[ApplyMethodLabel] == ApplyMethodServerSide {
		return ApplyMethodServerSide
	}
	return ApplyMethodClientSide
}

// serverSide resolves mode against the release it follows: enabled and disabled say it
// outright, auto (or empty) follows how from was applied.
func serverSide(mode helmv2.ServerSideApplyMode, from *release.Release) bool {
	switch mode {
	case helmv2.ServerSideApplyEnabled:
		return true
	case helmv2.ServerSideApplyDisabled:
		return false
	default:
		return ApplyMethod(from) == ApplyMethodServerSide
	}
}

// withApplyMethod returns a copy of labels that records the apply method.
func withApplyMethod(labels map[string]string, ssa bool) map[string]string {
	out := make(map[string]string, len(labels)+1)
	for k, v := range labels {
		out[k] = v
	}
	out[ApplyMethodLabel] = methodOf(ssa)
	return out
}

// methodOf returns the apply method that ssa stands for.
func methodOf(ssa bool) string {
	if ssa {
		return ApplyMethodServerSide
	}
	return ApplyMethodClientSide
}

// serverSideApply makes the next action apply server-side; migrate also hands the fields
// that Helm's client-side patches own over to FieldManager's apply, for a release whose
// objects were applied client-side so far.
func (w *waiter) serverSideApply(ssa, migrate bool) {
	w.ssa, w.migrate = ssa, ssa && migrate
}

// Create creates the resources; server-side, it applies each one that does not exist yet and
// refuses, as Helm's client does, one that does.
func (w *waiter) Create(resources kube.ResourceList) (*kube.Result, error) {
	if !w.ssa {
		return w.Client.Create(resources)
	}
	res := &kube.Result{}
	for _, info := range resources {
		_, err := resource.NewHelper(info.Client, info.Mapping).Get(info.Namespace, info.Name)
		switch {
		case err == nil:
			return res, apierrors.NewAlreadyExists(info.Mapping.Resource.GroupResource(), info.Name)
		case !apierrors.IsNotFound(err):
			return res, fmt.Errorf("failed to get %s: %w", describe(info), err)
		}
		res.Created = append(res.Created, info)
		if err := w.apply(info); err != nil {
			return res, err
		}
	}
	return res, nil
}

// Update updates the resources from original to target, client-side through Helm's client,
// or server-side.
func (w *waiter) Update(original, target kube.ResourceList, force bool) (*kube.Result, error) {
	if !w.ssa {
		return w.Client.Update(original, target, force)
	}
	return w.applyAll(original, target, force)
}

// UpdateThreeWayMerge is Update with three-way merge patches for unstructured objects when
// client-side; server-side, it is Update.
func (w *waiter) UpdateThreeWayMerge(original, target kube.ResourceList, force bool) (*kube.Result, error) {
	if !w.ssa {
		return w.Client.UpdateThreeWayMerge(original, target, force)
	}
	return w.applyAll(original, target, force)
}

// applyAll applies every target object server-side, and deletes the objects of original
// that target no longer holds, as Helm's client does: all but those annotated
// helm.sh/resource-policy: keep, logging rather than failing on those it cannot delete.
// force replaces an existing object with the target before applying it.
func (w *waiter) applyAll(original, target kube.ResourceList, force bool) (*kube.Result, error) {
	res := &kube.Result{}
	var failed []string
	w.Log("applying %d resources server-side", len(target))
	err := target.Visit(func(info *resource.Info, err error) error {
		if err != nil {
			return err
		}
		live, err := resource.NewHelper(info.Client, info.Mapping).Get(info.Namespace, info.Name)
		if apierrors.IsNotFound(err) {
			res.Created = append(res.Created, info)
			return w.apply(info)
		}
		if err != nil {
			return fmt.Errorf("failed to get %s: %w", describe(info), err)
		}
		res.Updated = append(res.Updated, info)
		if err := w.update(info, live, force); err != nil {
			w.Log("error updating %s: %v", describe(info), err)
			failed = append(failed, err.Error())
		}
		return nil
	})
	switch {
	case err != nil:
		return res, err
	case len(failed) > 0:
		return res, errors.New(strings.Join(failed, " && "))
	}
	for _, info := range original.Difference(target) {
		w.Log("deleting %s", describe(info))
		if err := info.Get(); err != nil {
			w.Log("unable to get %s: %v", describe(info), err)
			continue
		}
		annotations, err := meta.NewAccessor().Annotations(info.Object)
		if err != nil {
			w.Log("unable to get the annotations of %s: %v", describe(info), err)
		}
		if annotations[kube.ResourcePolicyAnno] == kube.KeepPolicy {
			w.Log("skipping delete of %s due to annotation [%s=%s]", describe(info), kube.ResourcePolicyAnno, kube.KeepPolicy)
			continue
		}
		policy := metav1.DeletePropagationBackground
		_, err = resource.NewHelper(info.Client, info.Mapping).DeleteWithOptions(info.Namespace, info.Name, &metav1.DeleteOptions{PropagationPolicy: &policy})
		if err != nil {
			w.Log("failed to delete %s: %v", describe(info), err)
			continue
		}
		res.Deleted = append(res.Deleted, info)
	}
	return res, nil
}

// update applies an existing object. force first replaces it with the target, as Helm's
// client does, and then hands the fields the replacement owns to the apply; migrate hands
// those of Helm's client-side patches over.
func (w *waiter) update(info *resource.Info, live runtime.Object, force bool) error {
	helper := resource.NewHelper(info.Client, info.Mapping).WithFieldManager(FieldManager)
	managers := sets.New[string]()
	if w.migrate {
		managers.Insert(csaManager(), FieldManager)
	}
	if force {
		obj, err := helper.Replace(info.Namespace, info.Name, true, info.Object)
		if err != nil {
			return fmt.Errorf("failed to replace %s: %w", describe(info), err)
		}
		live = obj
		managers.Insert(FieldManager)
	}
	if managers.Len() > 0 {
		patch, err := csaupgrade.UpgradeManagedFieldsPatch(live, managers, FieldManager)
		if err != nil {
			return fmt.Errorf("failed to compute the managed fields of %s for server-side apply: %w", describe(info), err)
		}
		if patch != nil {
			if _, err := helper.Patch(info.Namespace, info.Name, types.JSONPatchType, patch, nil); err != nil {
				return fmt.Errorf("failed to hand the fields of %s to server-side apply: %w", describe(info), err)
			}
		}
	}
	return w.apply(info)
}

// apply sends the object as a server-side apply patch of FieldManager that takes over the
// fields other managers set, as Flux does, and refreshes info with the result.
func (w *waiter) apply(info *resource.Info) error {
	data, err := applyPatch(info)
	if err != nil {
		return err
	}
	force := true
	helper := resource.NewHelper(info.Client, info.Mapping).WithFieldManager(FieldManager)
	obj, err := helper.Patch(info.Namespace, info.Name, types.ApplyPatchType, data, &metav1.PatchOptions{Force: &force})
	if err != nil {
		return fmt.Errorf("failed to apply %s server-side: %w", describe(info), err)
	}
	w.Log("applied %s server-side", describe(info))
	return info.Refresh(obj, true)
}

// applyPatch returns the object of info as the body of an apply patch: the manifest, without
// the fields an apply must not carry.
func applyPatch(info *resource.Info) ([]byte, error) {
	var u *unstructured.Unstructured
	if in, ok := info.Object.(*unstructured.Unstructured); ok {
		u = in.DeepCopy()
	} else {
		m, err := runtime.DefaultUnstructuredConverter.ToUnstructured(info.Object)
		if err != nil {
			return nil, fmt.Errorf("failed to convert %s: %w", describe(info), err)
		}
		u = &unstructured.Unstructured{Object: m}
	}
	u.SetGroupVersionKind(info.Mapping.GroupVersionKind)
	u.SetResourceVersion("")
	u.SetManagedFields(nil)
	data, err := u.MarshalJSON()
	if err != nil {
		return nil, fmt.Errorf("failed to encode %s: %w", describe(info), err)
	}
	return data, nil
}

// csaManager returns the field manager of Helm's client-side operations, chosen as Helm's
// client chooses it.
func csaManager() string {
	switch {
	case kube.ManagedFieldsManager != "":
		return kube.ManagedFieldsManager
	case os.Args[0] == "":
		return "unknown"
	default:
		return filepath.Base(os.Args[0])
	}
}

// describe names an object in messages: kind, namespace and name.
func describe(info *resource.Info) string {
	kind := info.Mapping.GroupVersionKind.Kind
	if info.Namespace == "" {
		return fmt.Sprintf("%s %s", kind, info.Name)
	}
	return fmt.Sprintf("%s %s/%s", kind, info.Namespace, info.Name)
}
