package cmd

import (
	"fmt"

	"github.com/spf13/cobra"
)

// newVersionCommand returns `ferry version`.
func newVersionCommand(a *app) *cobra.Command {
	var clientOnly bool
	c := &cobra.Command{
		Use:   "version",
		Short: "Print the version of the ferry client",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			_, err := fmt.Fprintf(a.opts.Out, "ferry: %s\n", a.opts.Version)
			return err
		},
	}
	// --client is accepted for habits carried over from flux; only the client version is
	// printed either way.
	c.Flags().BoolVar(&clientOnly, "client", false, "print the client version only")
	return c
}
