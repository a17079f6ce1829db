package apply

import (
	"context"
	"fmt"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/wait"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// pollInterval is how often the engine polls while it waits for an object.
const pollInterval = 100 * time.Millisecond

// classKinds are the group/kind pairs applied in the first stage.
var classKinds = map[string]bool{
	"apiextensions.k8s.io/CustomResourceDefinition": true,
	"/Namespace":                            true,
	"rbac.authorization.k8s.io/ClusterRole": true,
	"storage.k8s.io/StorageClass":           true,
	"networking.k8s.io/IngressClass":        true,
	"scheduling.k8s.io/PriorityClass":       true,
	"node.k8s.io/RuntimeClass":              true,
}

// IsClass reports whether obj belongs to the first stage: CRDs, Namespaces, ClusterRoles
// and the cluster-wide classes (storage, ingress, priority, runtime) other objects name.
func IsClass(obj *unstructured.Unstructured) bool {
	gvk := obj.GroupVersionKind()
	return classKinds[gvk.Group+"/"+gvk.Kind]
}

// waitClasses waits until every CRD is Established and every Namespace is Active, all by
// deadline.
func (m *Manager) waitClasses(ctx context.Context, objects []*unstructured.Unstructured, deadline time.Time) error {
	for _, obj := range objects {
		gvk := obj.GroupVersionKind()
		var ready func(*unstructured.Unstructured) bool
		switch {
		case gvk.Group == "apiextensions.k8s.io" && gvk.Kind == "CustomResourceDefinition":
			ready = established
		case gvk.Group == "" && gvk.Kind == "Namespace":
			ready = func(u *unstructured.Unstructured) bool {
				phase, _, _ := unstructured.NestedString(u.Object, "status", "phase")
				return phase == "Active"
			}
		default:
			continue
		}
		if err := m.waitFor(ctx, obj, time.Until(deadline), ready); err != nil {
			return fmt.Errorf("failed to wait for %s: %w", RefOf(obj), err)
		}
		if err := m.waitMapped(ctx, obj, time.Until(deadline)); err != nil {
			return fmt.Errorf("failed to wait for %s: %w", RefOf(obj), err)
		}
	}
	return nil
}

// waitMapped waits until the client's REST mapper serves the kinds of obj, when obj is a CRD.
func (m *Manager) waitMapped(ctx context.Context, obj *unstructured.Unstructured, timeout time.Duration) error {
	gvk := obj.GroupVersionKind()
	if gvk.Group != "apiextensions.k8s.io" || gvk.Kind != "CustomResourceDefinition" {
		return nil
	}
	return WaitCRDServed(ctx, m.client.RESTMapper(), obj, timeout)
}

// WaitCRDServed waits until mapper maps every served version of the kind that crd defines.
// A CRD is Established a moment before API discovery lists its kind, and objects of that
// kind are mapped through discovery: whoever applies a CRD and then its objects waits here.
func WaitCRDServed(ctx context.Context, mapper meta.RESTMapper, crd *unstructured.Unstructured, timeout time.Duration) error {
	group, _, _ := unstructured.NestedString(crd.Object, "spec", "group")
	kind, _, _ := unstructured.NestedString(crd.Object, "spec", "names", "kind")
	versions, _, _ := unstructured.NestedSlice(crd.Object, "spec", "versions")
	for _, v := range versions {
		version, _ := v.(map[string]any)
		name, _ := version["name"].(string)
		if served, _ := version["served"].(bool); !served || name == "" {
			continue
		}
		gk := schema.GroupKind{Group: group, Kind: kind}
		err := wait.PollUntilContextTimeout(ctx, pollInterval, timeout, true, func(context.Context) (bool, error) {
			_, err := mapper.RESTMapping(gk, name)
			return err == nil, nil
		})
		if err != nil {
			return fmt.Errorf("kind %s/%s %s is not served yet: %w", group, name, kind, err)
		}
	}
	return nil
}

// waitFor polls obj until ready returns true or the timeout passes.
func (m *Manager) waitFor(ctx context.Context, obj *unstructured.Unstructured, timeout time.Duration, ready func(*unstructured.Unstructured) bool) error {
	return wait.PollUntilContextTimeout(ctx, pollInterval, timeout, true, func(ctx context.Context) (bool, error) {
		live := &unstructured.Unstructured{}
		live.SetGroupVersionKind(obj.GroupVersionKind())
		if err := m.client.Get(ctx, client.ObjectKeyFromObject(obj), live); err != nil {
			return false, client.IgnoreNotFound(err)
		}
		return ready(live), nil
	})
}

// established reports whether a CRD has the condition Established=True.
func established(u *unstructured.Unstructured) bool {
	conds, _, _ := unstructured.NestedSlice(u.Object, "status", "conditions")
	for _, c := range conds {
		m, ok := c.(map[string]any)
		if ok && m["type"] == "Established" && m["status"] == "True" {
			return true
		}
	}
	return false
}

// recreate deletes obj, waits until it is gone (until deadline) and applies it again.
func (m *Manager) recreate(ctx context.Context, obj *unstructured.Unstructured, deadline time.Time) error {
	old := obj.DeepCopy()
	err := m.client.Delete(ctx, old, client.PropagationPolicy(metav1.DeletePropagationBackground))
	if err != nil && !apierrors.IsNotFound(err) {
		return fmt.Errorf("failed to delete the object: %w", err)
	}
	err = wait.PollUntilContextTimeout(ctx, pollInterval, time.Until(deadline), true, func(ctx context.Context) (bool, error) {
		live := &unstructured.Unstructured{}
		live.SetGroupVersionKind(obj.GroupVersionKind())
		err := m.client.Get(ctx, client.ObjectKeyFromObject(obj), live)
		if apierrors.IsNotFound(err) {
			return true, nil
		}
		return false, err
	})
	if err != nil {
		return fmt.Errorf("failed to wait for the deletion: %w", err)
	}
	return m.client.Patch(ctx, obj.DeepCopy(), client.Apply, m.patchOptions(obj)...)
}
