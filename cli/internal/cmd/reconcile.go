package cmd

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/ferry-gitops/ferry/cli/internal/kinds"
	helmv2 "github.com/ferry-gitops/ferry/shared/api/helm/v2"
	fluxmeta "github.com/ferry-gitops/ferry/shared/api/meta"
)

// newReconcileCommand returns `ferry reconcile <kind> <name>`.
func newReconcileCommand(a *app) *cobra.Command {
	var withSource, force, reset bool
	c := &cobra.Command{
		Use:   "reconcile <kind> <name>",
		Short: "Reconcile sources and resources",
		Long: "The reconcile command asks the controller to reconcile an object now, through the\n" +
			"reconcile.fluxcd.io/requestedAt annotation, and waits until it has. Kinds:\n\n" + kinds.Usage(),
		Example: `  # Fetch the latest commit of a GitRepository
  ferry reconcile source git flux-system

  # Apply a Kustomization after fetching its source
  ferry reconcile ks apps --with-source`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			k, key, err := a.namedObject(args)
			if err != nil {
				return err
			}
			ctx, cancel, c, err := a.connect(cmd)
			if err != nil {
				return err
			}
			defer cancel()
			if (force || reset) && k.Kind != helmv2.HelmReleaseKind {
				return fmt.Errorf("--force and --reset apply to HelmReleases only")
			}
			var extra []string
			if force {
				extra = append(extra, fluxmeta.ForceRequestAnnotation)
			}
			if reset {
				extra = append(extra, fluxmeta.ResetRequestAnnotation)
			}
			return a.reconcile(ctx, c, k, key, withSource, extra...)
		},
	}
	c.Flags().BoolVar(&withSource, "with-source", false, "reconcile the source (of a Kustomization, HelmRelease or HelmChart) first")
	c.Flags().BoolVar(&force, "force", false, "force a one-off install or upgrade of the HelmRelease resource")
	c.Flags().BoolVar(&reset, "reset", false, "reset the failure count for this HelmRelease resource")
	return c
}

// reconcile requests a reconciliation of the object and waits for its outcome; with
// withSource, it first does the same for the object's source, recursively. The extra
// annotations (forceAt, resetAt) carry the request's token too.
func (a *app) reconcile(ctx context.Context, c client.Client, k *kinds.Kind, key types.NamespacedName, withSource bool, extra ...string) error {
	obj, err := get(ctx, c, k, key)
	if err != nil {
		return err
	}
	if withSource && k.Source != nil {
		if ref, ok := k.Source(obj); ok {
			sk, ok := kinds.ByKind(ref.Kind)
			if !ok {
				return fmt.Errorf("failed to reconcile the source of %s %s: unsupported source kind %q", k, key, ref.Kind)
			}
			srcKey := types.NamespacedName{Namespace: ref.Namespace, Name: ref.Name}
			if err := a.reconcile(ctx, c, sk, srcKey, true); err != nil {
				return err
			}
		}
	}
	if obj.IsSuspended() {
		return fmt.Errorf("failed to reconcile %s %s: the object is suspended", k, key)
	}
	token := requestToken()
	a.actionf("annotating %s %s in %s namespace", k, key.Name, key.Namespace)
	patch := requestPatch(token)
	if ann, ok := patch["metadata"].(map[string]any)["annotations"].(map[string]any); ok {
		for _, name := range extra {
			ann[name] = token
		}
	}
	if err := mergePatch(ctx, c, obj, patch); err != nil {
		return fmt.Errorf("failed to annotate %s %s: %w", k, key, err)
	}
	a.successf("%s annotated", k)
	return a.waitForReconcile(ctx, c, k, obj, token)
}

// namedObject reads the kind and the one name of a command that acts on a single object.
func (a *app) namedObject(args []string) (*kinds.Kind, types.NamespacedName, error) {
	k, rest, err := kinds.ParseOne(args)
	if err != nil {
		return nil, types.NamespacedName{}, err
	}
	if len(rest) != 1 {
		return nil, types.NamespacedName{}, fmt.Errorf("exactly one %s name is required", k)
	}
	return k, types.NamespacedName{Namespace: a.flags.namespace, Name: rest[0]}, nil
}
