package cmd

import (
	"context"
	"errors"
	"fmt"
	"os"

	"github.com/spf13/cobra"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"

	"github.com/ferry-gitops/ferry/cli/internal/build"
	kustomizev1 "github.com/ferry-gitops/ferry/shared/api/kustomize/v1"
	"github.com/ferry-gitops/ferry/shared/kustomize/substitute"
)

// buildFlags are the flags of `build kustomization` and `diff kustomization`.
type buildFlags struct {
	path, kustomizationFile string
	dryRun                  bool
}

func (f *buildFlags) add(c *cobra.Command, dryRun bool) {
	c.Flags().StringVar(&f.path, "path", "", "path to the manifests location")
	c.Flags().StringVar(&f.kustomizationFile, "kustomization-file", "", "path to the Flux Kustomization YAML file")
	if dryRun {
		c.Flags().BoolVar(&f.dryRun, "dry-run", false, "dry run mode: the Kustomization comes from --kustomization-file and no Secret or ConfigMap is read")
	}
}

// newBuildCommand returns `ferry build kustomization`.
func newBuildCommand(a *app) *cobra.Command {
	c := &cobra.Command{Use: "build", Short: "Build a Kustomization locally"}
	var f buildFlags
	ks := &cobra.Command{
		Use:     "kustomization <name>",
		Aliases: []string{"ks"},
		Short:   "Build a Kustomization's local manifests as the controller would",
		Long: "The build command builds the local directory --path with the spec of the Kustomization (from\n" +
			"the cluster, or --kustomization-file): overlay fields, commonMetadata and post-build variable\n" +
			"substitution, and prints the objects.",
		Example: `  # Build the local manifests as they would be built on the cluster
  ferry build kustomization my-app --path ./path/to/local/manifests

  # Without a cluster
  ferry build kustomization my-app --path ./manifests --kustomization-file ./my-app.yaml --dry-run`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			objs, err := a.buildLocal(cmd.Context(), args[0], f)
			if err != nil {
				return err
			}
			return writeManifests(a.opts.Out, objs)
		},
	}
	f.add(ks, true)
	c.AddCommand(ks)
	return c
}

// buildLocal builds --path with the Kustomization name.
func (a *app) buildLocal(ctx context.Context, name string, f buildFlags) ([]*unstructured.Unstructured, error) {
	if f.path == "" {
		return nil, errors.New("--path is required")
	}
	if fi, err := os.Stat(f.path); err != nil || !fi.IsDir() {
		return nil, fmt.Errorf("invalid --path %q: not a directory", f.path)
	}
	if f.dryRun && f.kustomizationFile == "" {
		return nil, errors.New("--dry-run needs --kustomization-file")
	}
	ctx, cancel := a.withTimeout(ctx)
	defer cancel()
	var c client.Client
	if !f.dryRun {
		var err error
		if c, err = a.client(); err != nil {
			return nil, err
		}
	}
	ks, err := a.loadKustomization(ctx, c, name, f.kustomizationFile)
	if err != nil {
		return nil, err
	}
	var reader client.Reader
	if c != nil { // --dry-run reads nothing from the cluster
		reader = c
	}
	vars, err := substitute.Variables(ctx, reader, ks.Namespace, ks.Spec.PostBuild)
	if err != nil {
		return nil, err
	}
	return build.Build(build.Options{Dir: f.path, Kustomization: ks, Vars: vars})
}

// loadKustomization reads the Kustomization name from file, or from the cluster.
func (a *app) loadKustomization(ctx context.Context, c client.Client, name, file string) (*kustomizev1.Kustomization, error) {
	ks := &kustomizev1.Kustomization{}
	if file != "" {
		data, err := os.ReadFile(file)
		if err != nil {
			return nil, fmt.Errorf("failed to read the Kustomization file: %w", err)
		}
		if err := yaml.Unmarshal(data, ks); err != nil {
			return nil, fmt.Errorf("failed to decode the Kustomization file: %w", err)
		}
		if ks.Kind != kustomizev1.KustomizationKind || ks.Name != name {
			return nil, fmt.Errorf("%s holds %s %q, not Kustomization %q", file, ks.Kind, ks.Name, name)
		}
		if ks.Namespace == "" {
			ks.Namespace = a.flags.namespace
		}
		return ks, nil
	}
	key := types.NamespacedName{Namespace: a.flags.namespace, Name: name}
	if err := c.Get(ctx, key, ks); err != nil {
		return nil, fmt.Errorf("failed to get Kustomization %s: %w", key, err)
	}
	return ks, nil
}
