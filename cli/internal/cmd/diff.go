package cmd

import (
	"context"
	"errors"
	"fmt"

	"github.com/spf13/cobra"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/ferry-gitops/ferry/cli/internal/diff"
)

// ErrDiffers is returned by the diff commands when the cluster differs from the build: the
// process exits with 1, as flux diff does, without a further message.
var ErrDiffers = errors.New("differences found")

// The field managers of the dry-run applies: the controller's that would apply the objects,
// so that the fields it owns compare as it would apply them.
const (
	kustomizeManager = "kustomize-controller"
	helmManager      = "helm-controller"
)

// newDiffCommand returns `ferry diff kustomization`.
func newDiffCommand(a *app) *cobra.Command {
	c := &cobra.Command{Use: "diff", Short: "Diff a local build with the cluster"}
	var f buildFlags
	ks := &cobra.Command{
		Use:     "kustomization <name>",
		Aliases: []string{"ks"},
		Short:   "Diff a Kustomization's local manifests with the cluster",
		Long: "The diff command builds --path as 'build kustomization' does, server-side dry-run applies each\n" +
			"object and prints what would be created or changed; it exits with 1 when anything differs.",
		Example: `  # Preview the changes of the local manifests
  ferry diff kustomization my-app --path ./path/to/local/manifests`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			objs, err := a.buildLocal(cmd.Context(), args[0], f)
			if err != nil {
				return err
			}
			ctx, cancel, c, err := a.connect(cmd)
			if err != nil {
				return err
			}
			defer cancel()
			return a.diffObjects(ctx, c, objs, kustomizeManager)
		},
	}
	f.add(ks, false)
	c.AddCommand(ks, newDiffHelmReleaseCommand(a))
	return c
}

// diffObjects dry-run applies each object and prints the differences with the cluster.
func (a *app) diffObjects(ctx context.Context, c client.Client, objs []*unstructured.Unstructured, manager string) error {
	differs := false
	for _, obj := range objs {
		ref := obj.GetKind() + "/" + obj.GetName()
		if obj.GetNamespace() != "" {
			ref = obj.GetKind() + "/" + obj.GetNamespace() + "/" + obj.GetName()
		}
		live := &unstructured.Unstructured{}
		live.SetGroupVersionKind(obj.GroupVersionKind())
		err := c.Get(ctx, client.ObjectKeyFromObject(obj), live)
		if apierrors.IsNotFound(err) {
			a.actionf("%s created", ref)
			differs = true
			continue
		}
		if err != nil {
			return fmt.Errorf("failed to get %s: %w", ref, err)
		}
		dry := obj.DeepCopy()
		if err := c.Patch(ctx, dry, client.Apply, client.DryRunAll, client.FieldOwner(manager), client.ForceOwnership); err != nil {
			return fmt.Errorf("failed to dry-run apply %s: %w", ref, err)
		}
		changes := diff.Objects(live, dry)
		if len(changes) == 0 {
			continue
		}
		differs = true
		a.actionf("%s drifted", ref)
		for _, ch := range changes {
			fmt.Fprintln(a.opts.Out, ch.String())
		}
	}
	if differs {
		return ErrDiffers
	}
	return nil
}
