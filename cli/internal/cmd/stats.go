package cmd

import (
	"fmt"

	"github.com/spf13/cobra"
	apimeta "k8s.io/apimachinery/pkg/api/meta"

	"github.com/ferry-gitops/ferry/cli/internal/kinds"
	fluxmeta "github.com/ferry-gitops/ferry/shared/api/meta"
	sourcev1 "github.com/ferry-gitops/ferry/shared/api/source/v1"
)

// newStatsCommand returns `ferry stats`.
func newStatsCommand(a *app) *cobra.Command {
	var allNamespaces bool
	c := &cobra.Command{
		Use:   "stats",
		Short: "Stats of Ferry's reconcilers",
		Long: "The stats command prints, per kind, how many objects there are, how many are failing\n" +
			"(Ready=False) and suspended, and the size of the artifacts the sources store.",
		Example: `  # Stats of every namespace
  ferry stats -A`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx, cancel, c, err := a.connect(cmd)
			if err != nil {
				return err
			}
			defer cancel()
			namespace := a.flags.namespace
			if allNamespaces {
				namespace = ""
			}
			rows := [][]string{{"RECONCILERS", "RUNNING", "FAILING", "SUSPENDED", "STORAGE"}}
			for _, k := range kinds.All() {
				objs, err := list(ctx, c, k, namespace, "")
				if apimeta.IsNoMatchError(err) {
					continue
				}
				if err != nil {
					return err
				}
				rows = append(rows, statsRow(k, objs))
			}
			return writeRows(a.opts.Out, rows)
		},
	}
	c.Flags().BoolVarP(&allNamespaces, "all-namespaces", "A", false, "count the objects of every namespace")
	return c
}

// statsRow counts the objects of kind k.
func statsRow(k *kinds.Kind, objs []kinds.Object) []string {
	var failing, suspended int
	var size int64
	for _, obj := range objs {
		if obj.IsSuspended() {
			suspended++
		}
		if status, _ := k.ReadyStatus(obj); status == "False" {
			if so, ok := obj.(fluxmeta.StatusObject); ok && len(so.GetObjectStatus().Conditions) > 0 {
				failing++
			}
		}
		if src, ok := obj.(sourcev1.Source); ok {
			if art := src.GetArtifact(); art != nil && art.Size != nil {
				size += *art.Size
			}
		}
	}
	storage := "-"
	if k.GroupVersion.Group == sourcev1.GroupVersion.Group {
		storage = humanBytes(size)
	}
	return []string{k.Kind, fmt.Sprint(len(objs)), fmt.Sprint(failing), fmt.Sprint(suspended), storage}
}

// humanBytes renders n bytes in binary units, as 1.2 KiB.
func humanBytes(n int64) string {
	if n < 1024 {
		return fmt.Sprintf("%d B", n)
	}
	units := []string{"KiB", "MiB", "GiB", "TiB"}
	v := float64(n)
	i := -1
	for v >= 1024 && i < len(units)-1 {
		v /= 1024
		i++
	}
	return fmt.Sprintf("%.1f %s", v, units[i])
}
