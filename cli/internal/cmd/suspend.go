package cmd

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/ferry-gitops/ferry/cli/internal/kinds"
)

// newSuspendCommand returns `ferry suspend <kind> <name>...|--all`.
func newSuspendCommand(a *app) *cobra.Command {
	var all bool
	c := &cobra.Command{
		Use:   "suspend <kind> [name...]",
		Short: "Suspend the reconciliation of sources and resources",
		Long:  "The suspend command sets spec.suspend, which stops the controller from reconciling the objects. Kinds:\n\n" + kinds.Usage(),
		Example: `  # Stop applying a Kustomization
  ferry suspend ks apps

  # Suspend every HelmRelease of a namespace
  ferry suspend hr --all -n apps`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			k, rest, err := kinds.ParseOne(args)
			if err != nil {
				return err
			}
			ctx, cancel, c, err := a.connect(cmd)
			if err != nil {
				return err
			}
			defer cancel()
			names, err := targets(ctx, c, k, a.flags.namespace, rest, all)
			if err != nil {
				return err
			}
			for _, name := range names {
				key := types.NamespacedName{Namespace: a.flags.namespace, Name: name}
				if err := a.suspend(ctx, c, k, key); err != nil {
					return err
				}
			}
			return nil
		},
	}
	c.Flags().BoolVar(&all, "all", false, "suspend every object of the kind in the namespace")
	return c
}

// suspend sets spec.suspend of one object.
func (a *app) suspend(ctx context.Context, c client.Client, k *kinds.Kind, key types.NamespacedName) error {
	obj, err := get(ctx, c, k, key)
	if err != nil {
		return err
	}
	a.actionf("suspending %s %s in %s namespace", k, key.Name, key.Namespace)
	if err := mergePatch(ctx, c, obj, suspendPatch(true)); err != nil {
		return fmt.Errorf("failed to suspend %s %s: %w", k, key, err)
	}
	a.successf("%s suspended", k)
	return nil
}
