package cmd

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/ferry-gitops/ferry/cli/internal/kinds"
)

// newResumeCommand returns `ferry resume <kind> <name>...|--all`.
func newResumeCommand(a *app) *cobra.Command {
	var all, wait bool
	c := &cobra.Command{
		Use:   "resume <kind> [name...]",
		Short: "Resume the reconciliation of suspended sources and resources",
		Long: "The resume command clears spec.suspend, requests a reconciliation and waits until the\n" +
			"objects are Ready. Kinds:\n\n" + kinds.Usage(),
		Example: `  # Apply a suspended Kustomization again
  ferry resume ks apps

  # Resume every HelmRelease of a namespace without waiting
  ferry resume hr --all -n apps --wait=false`,
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
				if err := a.resume(ctx, c, k, key, wait); err != nil {
					return err
				}
			}
			return nil
		},
	}
	c.Flags().BoolVar(&all, "all", false, "resume every object of the kind in the namespace")
	c.Flags().BoolVar(&wait, "wait", true, "wait until the resumed objects are Ready")
	return c
}

// resume clears spec.suspend of one object and, in the same patch, requests a
// reconciliation, whose outcome it then awaits when wait is set.
func (a *app) resume(ctx context.Context, c client.Client, k *kinds.Kind, key types.NamespacedName, wait bool) error {
	obj, err := get(ctx, c, k, key)
	if err != nil {
		return err
	}
	token := requestToken()
	patch := suspendPatch(false)
	for field, value := range requestPatch(token) {
		patch[field] = value
	}
	a.actionf("resuming %s %s in %s namespace", k, key.Name, key.Namespace)
	if err := mergePatch(ctx, c, obj, patch); err != nil {
		return fmt.Errorf("failed to resume %s %s: %w", k, key, err)
	}
	a.successf("%s resumed", k)
	if !wait {
		return nil
	}
	return a.waitForReconcile(ctx, c, k, obj, token)
}
