package cmd

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/ferry-gitops/ferry/cli/internal/kinds"
	"github.com/ferry-gitops/ferry/cli/internal/tree"
	helmv2 "github.com/ferry-gitops/ferry/shared/api/helm/v2"
	kustomizev1 "github.com/ferry-gitops/ferry/shared/api/kustomize/v1"
	fluxmeta "github.com/ferry-gitops/ferry/shared/api/meta"
)

// maxTreeDepth bounds the expansion of nested Kustomizations, against inventories that
// refer to each other.
const maxTreeDepth = 20

// newTreeCommand returns `ferry tree kustomization <name>`.
func newTreeCommand(a *app) *cobra.Command {
	c := &cobra.Command{Use: "tree", Short: "Print the resources reconciled by Ferry"}
	c.AddCommand(&cobra.Command{
		Use:     "kustomization <name>",
		Aliases: []string{"ks"},
		Short:   "Print the resources reconciled by a Kustomization",
		Long: "The tree command prints the inventory of a Kustomization as a tree; the Kustomizations and\n" +
			"HelmReleases it applied are expanded with their own inventories.",
		Example: `  # Print what the bootstrap Kustomization manages
  ferry tree kustomization flux-system`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx, cancel, c, err := a.connect(cmd)
			if err != nil {
				return err
			}
			defer cancel()
			key := types.NamespacedName{Namespace: a.flags.namespace, Name: args[0]}
			root := &tree.Node{Name: kustomizev1.KustomizationKind + "/" + key.Namespace + "/" + key.Name}
			if err := expand(ctx, c, root, kustomizev1.KustomizationKind, key, 0); err != nil {
				return err
			}
			return root.Render(a.opts.Out)
		},
	})
	return c
}

// expand adds to n the inventory of the Kustomization or HelmRelease kind/key, expanding
// the Kustomizations and HelmReleases found in it.
func expand(ctx context.Context, c client.Client, n *tree.Node, kind string, key types.NamespacedName, depth int) error {
	k, _ := kinds.ByKind(kind)
	obj, err := get(ctx, c, k, key)
	if err != nil {
		return err
	}
	inv := inventoryOf(obj)
	if inv == nil {
		return nil
	}
	for _, ref := range inv.Entries {
		e, err := tree.ParseEntry(ref.ID, ref.Version)
		if err != nil {
			return err
		}
		child := n.Add(e.String())
		nested := (e.Kind == kustomizev1.KustomizationKind && e.Group == kustomizev1.GroupVersion.Group) ||
			(e.Kind == helmv2.HelmReleaseKind && e.Group == helmv2.GroupVersion.Group)
		if nested && depth < maxTreeDepth {
			if err := expand(ctx, c, child, e.Kind, types.NamespacedName{Namespace: e.Namespace, Name: e.Name}, depth+1); err != nil {
				return fmt.Errorf("failed to expand %s: %w", e, err)
			}
		}
	}
	return nil
}

// inventoryOf returns the inventory of a Kustomization or HelmRelease.
func inventoryOf(obj kinds.Object) *fluxmeta.ResourceInventory {
	switch o := obj.(type) {
	case *kustomizev1.Kustomization:
		return o.Status.Inventory
	case *helmv2.HelmRelease:
		return o.Status.Inventory
	}
	return nil
}
