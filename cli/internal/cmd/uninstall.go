package cmd

import (
	"bufio"
	"fmt"
	"strings"

	"github.com/spf13/cobra"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/ferry-gitops/ferry/cli/internal/install"
	"github.com/ferry-gitops/ferry/cli/internal/kinds"
)

// newUninstallCommand returns `ferry uninstall`.
func newUninstallCommand(a *app) *cobra.Command {
	var keepNamespace, dryRun, silent bool
	c := &cobra.Command{
		Use:   "uninstall",
		Short: "Uninstall Ferry and its custom resource definitions",
		Long: "The uninstall command removes the controllers, the finalizers of every toolkit object\n" +
			"and the CRDs. The objects the Kustomizations and HelmReleases applied stay in place.",
		Example: `  # Uninstall Ferry and delete the namespace
  ferry uninstall

  # Show what would be deleted
  ferry uninstall --dry-run --silent`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if !silent && !dryRun && !a.confirm("Are you sure you want to delete Ferry and its custom resource definitions") {
				return fmt.Errorf("uninstall cancelled")
			}
			ctx, cancel, c, err := a.connect(cmd)
			if err != nil {
				return err
			}
			defer cancel()
			var gvks []schema.GroupVersionKind
			for _, k := range kinds.All() {
				gvks = append(gvks, k.GroupVersionKind())
			}
			err = install.Uninstall(ctx, c, install.UninstallOptions{
				Namespace: a.flags.namespace, KeepNamespace: keepNamespace, DryRun: dryRun, Kinds: gvks,
				Progress: func(done bool, format string, args ...any) {
					if done {
						a.successf(format, args...)
					} else {
						a.actionf(format, args...)
					}
				},
			})
			if err != nil {
				return err
			}
			a.successf("uninstall finished")
			return nil
		},
	}
	c.Flags().BoolVar(&keepNamespace, "keep-namespace", false, "skip namespace deletion")
	c.Flags().BoolVar(&dryRun, "dry-run", false, "only print the objects that would be deleted")
	c.Flags().BoolVarP(&silent, "silent", "s", false, "delete components without asking for confirmation")
	return c
}

// confirm asks question on the error stream and reads a yes from the input.
func (a *app) confirm(question string) bool {
	fmt.Fprintf(a.opts.Err, "%s? [y/N] ", question)
	line, _ := bufio.NewReader(a.opts.In).ReadString('\n')
	answer := strings.ToLower(strings.TrimSpace(line))
	return answer == "y" || answer == "yes"
}
