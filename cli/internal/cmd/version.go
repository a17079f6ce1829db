package cmd

import (
	"fmt"
	"sort"
	"strings"

	"github.com/spf13/cobra"
	appsv1 "k8s.io/api/apps/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/ferry-gitops/ferry/cli/internal/install"
)

// newVersionCommand returns `ferry version`.
func newVersionCommand(a *app) *cobra.Command {
	var clientOnly bool
	c := &cobra.Command{
		Use:   "version",
		Short: "Print the client and controllers' versions",
		Long: "The version command prints the client's version and, when the cluster answers, the version\n" +
			"(image tag) of each of Ferry's controllers in the namespace.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if _, err := fmt.Fprintf(a.opts.Out, "ferry: %s\n", a.opts.Version); err != nil || clientOnly {
				return err
			}
			ctx, cancel := a.withTimeout(cmd.Context())
			defer cancel()
			c, err := a.client()
			if err != nil {
				a.failuref("%v", err)
				return nil
			}
			var list appsv1.DeploymentList
			if err := c.List(ctx, &list, client.InNamespace(a.flags.namespace),
				client.MatchingLabels{install.PartOfLabel: install.PartOfValue}); err != nil {
				a.failuref("failed to read the controllers' versions: %v", err)
				return nil
			}
			var lines []string
			for _, d := range list.Items {
				for _, ct := range d.Spec.Template.Spec.Containers {
					lines = append(lines, fmt.Sprintf("%s: %s", d.Name, imageTag(ct.Image)))
				}
			}
			sort.Strings(lines)
			for _, l := range lines {
				fmt.Fprintln(a.opts.Out, l)
			}
			return nil
		},
	}
	c.Flags().BoolVar(&clientOnly, "client", false, "print only the client version")
	return c
}

// imageTag returns the tag (or digest) of an image reference, "latest" when it has none.
func imageTag(image string) string {
	if _, digest, ok := strings.Cut(image, "@"); ok {
		return digest
	}
	last := image[strings.LastIndex(image, "/")+1:]
	if _, tag, ok := strings.Cut(last, ":"); ok {
		return tag
	}
	return "latest"
}
