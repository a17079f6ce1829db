package cmd

import (
	"errors"

	"github.com/spf13/cobra"
)

// gitProvider names a Git hosting service bootstrap can create repositories on.
type gitProvider string

const (
	githubProvider gitProvider = "github"
	gitlabProvider gitProvider = "gitlab"
	giteaProvider  gitProvider = "gitea"
)

func newBootstrapProviderCommand(a *app, bf *bootstrapFlags, p gitProvider) *cobra.Command {
	return &cobra.Command{
		Use:   string(p),
		Short: "Deploy Ferry on a cluster connected to a " + string(p) + " repository",
		RunE: func(cmd *cobra.Command, args []string) error {
			return errors.New("not implemented")
		},
	}
}
