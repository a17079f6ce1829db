package cmd

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/ferry-gitops/ferry/cli/internal/kinds"
	helmv2 "github.com/ferry-gitops/ferry/shared/api/helm/v2"
	kustomizev1 "github.com/ferry-gitops/ferry/shared/api/kustomize/v1"
	fluxmeta "github.com/ferry-gitops/ferry/shared/api/meta"
	sourcev1 "github.com/ferry-gitops/ferry/shared/api/source/v1"
)

// newTraceCommand returns `ferry trace`.
func newTraceCommand(a *app) *cobra.Command {
	var kind, apiVersion string
	c := &cobra.Command{
		Use:   "trace <name> | <kind>/<name>",
		Short: "Trace an in-cluster object throughout the GitOps delivery pipeline",
		Long: "The trace command shows which Kustomization or HelmRelease applied an object, and the source\n" +
			"and revision it came from.",
		Example: `  # Trace a Deployment
  ferry trace podinfo --kind=deployment --api-version=apps/v1 -n default

  # The same, kubectl style
  ferry trace deployment/podinfo -n default`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			name := args[0]
			if k, n, ok := strings.Cut(name, "/"); ok {
				kind, name = k, n
			}
			if kind == "" {
				return errors.New("the object kind is required (--kind or <kind>/<name>)")
			}
			ctx, cancel, c, err := a.connect(cmd)
			if err != nil {
				return err
			}
			defer cancel()
			obj, err := a.traced(ctx, c, kind, apiVersion, name)
			if err != nil {
				return err
			}
			return a.trace(ctx, c, obj)
		},
	}
	c.Flags().StringVar(&kind, "kind", "", "the Kubernetes object kind, e.g. Deployment")
	c.Flags().StringVar(&apiVersion, "api-version", "", "the Kubernetes object API version, e.g. apps/v1 (found from the kind when empty)")
	return c
}

// traced reads the object kind/name, finding its group and version from the kind when
// apiVersion is empty.
func (a *app) traced(ctx context.Context, c client.Client, kind, apiVersion, name string) (*unstructured.Unstructured, error) {
	var gvk schema.GroupVersionKind
	if apiVersion != "" {
		gv, err := schema.ParseGroupVersion(apiVersion)
		if err != nil {
			return nil, fmt.Errorf("invalid --api-version %q: %w", apiVersion, err)
		}
		gvk = gv.WithKind(kind)
	} else {
		mapping, err := c.RESTMapper().RESTMapping(schema.GroupKind{Kind: kind})
		if err != nil {
			plural, perr := c.RESTMapper().KindFor(schema.GroupVersionResource{Resource: strings.ToLower(kind)})
			if perr != nil {
				return nil, fmt.Errorf("failed to find the kind %q: %w", kind, err)
			}
			gvk = plural
		} else {
			gvk = mapping.GroupVersionKind
		}
	}
	obj := &unstructured.Unstructured{}
	obj.SetGroupVersionKind(gvk)
	if err := c.Get(ctx, types.NamespacedName{Namespace: a.flags.namespace, Name: name}, obj); err != nil {
		return nil, fmt.Errorf("failed to find object: %w", err)
	}
	return obj, nil
}

// trace prints the object, the Kustomization or HelmRelease that applied it and its source.
func (a *app) trace(ctx context.Context, c client.Client, obj *unstructured.Unstructured) error {
	w := a.opts.Out
	fmt.Fprintf(w, "\nObject:        %s/%s\n", obj.GetKind(), obj.GetName())
	if obj.GetNamespace() != "" {
		fmt.Fprintf(w, "Namespace:     %s\n", obj.GetNamespace())
	}
	labels := obj.GetLabels()
	var owner kinds.Ref
	switch {
	case labels[kustomizev1.NameLabel] != "":
		owner = kinds.Ref{Kind: kustomizev1.KustomizationKind, Namespace: labels[kustomizev1.NamespaceLabel], Name: labels[kustomizev1.NameLabel]}
	case labels[helmv2.NameLabel] != "":
		owner = kinds.Ref{Kind: helmv2.HelmReleaseKind, Namespace: labels[helmv2.NamespaceLabel], Name: labels[helmv2.NameLabel]}
	default:
		fmt.Fprintln(w, "Status:        Unmanaged")
		return fmt.Errorf("object %s/%s is not managed by Ferry", obj.GetKind(), obj.GetName())
	}
	fmt.Fprintln(w, "Status:        Managed by Ferry")
	return a.traceChain(ctx, c, w, owner)
}

// traceChain prints ref and, recursively, its source.
func (a *app) traceChain(ctx context.Context, c client.Client, w io.Writer, ref kinds.Ref) error {
	k, ok := kinds.ByKind(ref.Kind)
	if !ok {
		return fmt.Errorf("unsupported kind %q", ref.Kind)
	}
	obj, err := get(ctx, c, k, types.NamespacedName{Namespace: ref.Namespace, Name: ref.Name})
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "---\n%-15s%s\nNamespace:     %s\n", ref.Kind+":", ref.Name, ref.Namespace)
	for _, line := range traceDetails(obj) {
		fmt.Fprintln(w, line)
	}
	if k.Revision != nil {
		fmt.Fprintf(w, "Revision:      %s\n", k.Revision(obj))
	}
	status, message := k.ReadyStatus(obj)
	if so, ok := obj.(fluxmeta.StatusObject); ok && status == "True" {
		fmt.Fprintf(w, "Status:        Last reconciled at %s\n", lastReconciled(so))
	} else {
		fmt.Fprintf(w, "Status:        Ready=%s\n", status)
	}
	fmt.Fprintf(w, "Message:       %s\n", message)
	if k.Source != nil {
		if src, ok := k.Source(obj); ok {
			return a.traceChain(ctx, c, w, src)
		}
	}
	return nil
}

// traceDetails are the kind-specific lines of a traced object.
func traceDetails(obj kinds.Object) []string {
	switch o := obj.(type) {
	case *kustomizev1.Kustomization:
		return []string{"Path:          " + o.Spec.Path}
	case *helmv2.HelmRelease:
		if o.Spec.Chart != nil {
			return []string{"Chart:         " + o.Spec.Chart.Spec.Chart}
		}
	case *sourcev1.GitRepository:
		lines := []string{"URL:           " + o.Spec.URL}
		if r := o.Spec.Reference; r != nil {
			for _, kv := range [][2]string{{"Branch", r.Branch}, {"Tag", r.Tag}, {"Semver", r.SemVer}, {"Commit", r.Commit}} {
				if kv[1] != "" {
					lines = append(lines, fmt.Sprintf("%-15s%s", kv[0]+":", kv[1]))
				}
			}
		}
		return lines
	case *sourcev1.OCIRepository:
		return []string{"URL:           " + o.Spec.URL}
	case *sourcev1.HelmRepository:
		return []string{"URL:           " + o.Spec.URL}
	case *sourcev1.Bucket:
		return []string{"Bucket:        " + o.Spec.BucketName}
	}
	return nil
}

// lastReconciled returns when the Ready condition last changed.
func lastReconciled(obj fluxmeta.StatusObject) string {
	for _, c := range obj.GetObjectStatus().Conditions {
		if c.Type == fluxmeta.ReadyCondition {
			return c.LastTransitionTime.UTC().Format("2006-01-02 15:04:05 -0700 MST")
		}
	}
	return ""
}
