package install

import (
	"context"
	"fmt"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	apimeta "k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// UninstallOptions say what uninstall removes and how it reports.
type UninstallOptions struct {
	// Namespace is where the controllers run.
	Namespace string
	// KeepNamespace leaves the namespace in place.
	KeepNamespace bool
	// DryRun only reports what would be removed.
	DryRun bool
	// Kinds are the toolkit kinds whose objects lose their finalizers.
	Kinds []schema.GroupVersionKind
	// Progress receives one line per action, without a symbol, and whether it succeeded
	// (false: the line announces an action).
	Progress func(done bool, format string, args ...any)
}

// componentKinds are the kinds of the controllers' objects, namespaced then cluster-wide.
var componentKinds = []schema.GroupVersionKind{
	{Group: "apps", Version: "v1", Kind: "Deployment"},
	{Version: "v1", Kind: "Service"},
	{Group: "networking.k8s.io", Version: "v1", Kind: "NetworkPolicy"},
	{Version: "v1", Kind: "ServiceAccount"},
	{Group: "rbac.authorization.k8s.io", Version: "v1", Kind: "RoleBinding"},
	{Group: "rbac.authorization.k8s.io", Version: "v1", Kind: "Role"},
	{Group: "rbac.authorization.k8s.io", Version: "v1", Kind: "ClusterRoleBinding"},
	{Group: "rbac.authorization.k8s.io", Version: "v1", Kind: "ClusterRole"},
}

var crdKind = schema.GroupVersionKind{Group: "apiextensions.k8s.io", Version: "v1", Kind: "CustomResourceDefinition"}

// Uninstall removes Ferry from the cluster in flux's order: the controllers' objects first
// (so that nothing reconciles any more), then the finalizers of every toolkit object, then
// the CRDs (which deletes the toolkit objects, but not what they applied) and the
// namespace.
func Uninstall(ctx context.Context, c client.Client, opts UninstallOptions) error {
	opts.Progress(false, "deleting components in %s namespace", opts.Namespace)
	for _, gvk := range componentKinds {
		if err := deleteLabelled(ctx, c, gvk, opts); err != nil {
			return err
		}
	}
	opts.Progress(false, "deleting toolkit.fluxcd.io finalizers in all namespaces")
	for _, gvk := range opts.Kinds {
		if err := removeFinalizers(ctx, c, gvk, opts); err != nil {
			return err
		}
	}
	opts.Progress(false, "deleting toolkit.fluxcd.io custom resource definitions")
	if err := deleteLabelled(ctx, c, crdKind, opts); err != nil {
		return err
	}
	if opts.KeepNamespace {
		return nil
	}
	ns := &unstructured.Unstructured{}
	ns.SetGroupVersionKind(schema.GroupVersionKind{Version: "v1", Kind: "Namespace"})
	ns.SetName(opts.Namespace)
	return deleteOne(ctx, c, ns, opts)
}

// list returns the objects of gvk that match opts, tolerating a kind the server lacks.
func list(ctx context.Context, c client.Client, gvk schema.GroupVersionKind, o ...client.ListOption) ([]unstructured.Unstructured, error) {
	l := &unstructured.UnstructuredList{}
	l.SetGroupVersionKind(gvk.GroupVersion().WithKind(gvk.Kind + "List"))
	if err := c.List(ctx, l, o...); err != nil {
		if apimeta.IsNoMatchError(err) || apierrors.IsNotFound(err) {
			return nil, nil
		}
		return nil, fmt.Errorf("failed to list %s objects: %w", gvk.Kind, err)
	}
	return l.Items, nil
}

// deleteLabelled deletes the objects of gvk that carry Ferry's label, in opts.Namespace for
// namespaced kinds.
func deleteLabelled(ctx context.Context, c client.Client, gvk schema.GroupVersionKind, opts UninstallOptions) error {
	o := []client.ListOption{client.MatchingLabels{PartOfLabel: PartOfValue}}
	scoped, err := c.IsObjectNamespaced(&unstructured.Unstructured{Object: map[string]any{
		"apiVersion": gvk.GroupVersion().String(), "kind": gvk.Kind}})
	if err == nil && scoped {
		o = append(o, client.InNamespace(opts.Namespace))
	}
	items, err := list(ctx, c, gvk, o...)
	if err != nil {
		return err
	}
	for i := range items {
		if err := deleteOne(ctx, c, &items[i], opts); err != nil {
			return err
		}
	}
	return nil
}

// deleteOne deletes obj (unless dry-run) and reports it.
func deleteOne(ctx context.Context, c client.Client, obj *unstructured.Unstructured, opts UninstallOptions) error {
	if !opts.DryRun {
		if err := c.Delete(ctx, obj); err != nil && !apierrors.IsNotFound(err) {
			return fmt.Errorf("failed to delete %s: %w", refString(obj), err)
		}
	}
	opts.Progress(true, "%s deleted%s", refString(obj), dryRunSuffix(opts.DryRun))
	return nil
}

// removeFinalizers takes the finalizers off every object of gvk in every namespace.
func removeFinalizers(ctx context.Context, c client.Client, gvk schema.GroupVersionKind, opts UninstallOptions) error {
	items, err := list(ctx, c, gvk)
	if err != nil {
		return err
	}
	for i := range items {
		obj := &items[i]
		if len(obj.GetFinalizers()) == 0 {
			continue
		}
		if !opts.DryRun {
			patch := client.RawPatch(types.MergePatchType, []byte(`{"metadata":{"finalizers":null}}`))
			if err := c.Patch(ctx, obj, patch); err != nil && !apierrors.IsNotFound(err) {
				return fmt.Errorf("failed to remove the finalizers of %s: %w", refString(obj), err)
			}
		}
		opts.Progress(true, "%s finalizers deleted%s", refString(obj), dryRunSuffix(opts.DryRun))
	}
	return nil
}

// refString renders obj as Kind/namespace/name, or Kind/name when cluster-wide.
func refString(obj client.Object) string {
	kind := obj.GetObjectKind().GroupVersionKind().Kind
	if obj.GetNamespace() == "" {
		return kind + "/" + obj.GetName()
	}
	return kind + "/" + obj.GetNamespace() + "/" + obj.GetName()
}

func dryRunSuffix(dry bool) string {
	if dry {
		return " (dry run)"
	}
	return ""
}
