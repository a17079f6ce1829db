package cmd

import (
	"errors"
	"fmt"
	"strings"

	"github.com/spf13/cobra"
	apimeta "k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/types"

	"github.com/ferry-gitops/ferry/cli/internal/export"
	"github.com/ferry-gitops/ferry/cli/internal/kinds"
)

// newExportCommand returns `ferry export <kind> [name] [--all]`.
func newExportCommand(a *app) *cobra.Command {
	var all bool
	c := &cobra.Command{
		Use:   "export <kind> [name]",
		Short: "Export resources in YAML format",
		Long:  "The export command prints objects as the create commands would have written them, without status. Kinds:\n\n" + kinds.Usage(),
		Example: `  # Export every Kustomization of flux-system
  ferry export ks --all > kustomizations.yaml

  # Export a GitRepository
  ferry export source git podinfo > podinfo.yaml`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ks, rest, err := kinds.Parse(args)
			if err != nil {
				return err
			}
			if all == (len(rest) == 1) || len(rest) > 1 {
				return errors.New("either a name or --all is required")
			}
			ctx, cancel, c, err := a.connect(cmd)
			if err != nil {
				return err
			}
			defer cancel()
			var docs []map[string]any
			for _, k := range ks {
				var objs []kinds.Object
				if all {
					objs, err = list(ctx, c, k, a.flags.namespace, "")
					if len(ks) > 1 && apimeta.IsNoMatchError(err) {
						continue
					}
				} else {
					var obj kinds.Object
					obj, err = get(ctx, c, k, types.NamespacedName{Namespace: a.flags.namespace, Name: rest[0]})
					objs = []kinds.Object{obj}
				}
				if err != nil {
					return err
				}
				for _, obj := range objs {
					doc, err := export.Clean(obj, k.GroupVersionKind())
					if err != nil {
						return err
					}
					docs = append(docs, doc)
				}
			}
			if len(docs) == 0 {
				a.failuref("no %s objects found in %q namespace", strings.Join(kindNames(ks), ", "), a.flags.namespace)
				return nil
			}
			return export.Write(a.opts.Out, docs...)
		},
	}
	c.Flags().BoolVar(&all, "all", false, "select all resources")
	return c
}

// kindNames returns the API kinds of ks.
func kindNames(ks []*kinds.Kind) []string {
	out := make([]string, len(ks))
	for i, k := range ks {
		out[i] = k.Kind
	}
	return out
}

// newDeleteCommand returns `ferry delete <kind> <name>`.
func newDeleteCommand(a *app) *cobra.Command {
	var silent bool
	c := &cobra.Command{
		Use:   "delete <kind> <name>",
		Short: "Delete sources and resources",
		Long: "The delete command deletes a toolkit object; its controller then garbage collects what it\n" +
			"applied when the object asks for it (Kustomization prune). Kinds:\n\n" + kinds.Usage(),
		Example: `  # Delete a Kustomization and the objects it applied
  ferry delete ks apps --silent`,
		Args: cobra.MinimumNArgs(2),
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
			obj, err := get(ctx, c, k, key)
			if err != nil {
				return err
			}
			if !silent && !a.confirm(fmt.Sprintf("Are you sure you want to delete this %s", strings.ToLower(k.Kind))) {
				return errors.New("delete cancelled")
			}
			a.actionf("deleting %s %s in %s namespace", strings.ToLower(k.Kind), key.Name, key.Namespace)
			if err := c.Delete(ctx, obj); err != nil {
				return fmt.Errorf("failed to delete %s %s: %w", k, key, err)
			}
			a.successf("%s deleted", strings.ToLower(k.Kind))
			return nil
		},
	}
	c.Flags().BoolVarP(&silent, "silent", "s", false, "delete resource without asking for confirmation")
	return c
}
