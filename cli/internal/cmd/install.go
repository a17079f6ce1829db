package cmd

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/ferry-gitops/ferry/cli/internal/install"
	"github.com/ferry-gitops/ferry/cli/internal/manifests"
)

// installFlags are the flags of `ferry install` that bootstrap shares.
type installFlags struct {
	components, componentsExtra []string
	registry, imagePullSecret   string
	version, logLevel           string
	clusterDomain               string
	tolerationKeys              []string
	watchAllNamespaces          bool
	networkPolicy               bool
}

// addInstallFlags registers the flags of f on fs.
func addInstallFlags(fs *pflag.FlagSet, f *installFlags) {
	fs.StringSliceVar(&f.components, "components", manifests.DefaultComponents, "list of components, accepts comma-separated values")
	fs.StringSliceVar(&f.componentsExtra, "components-extra", nil,
		"list of components in addition to those supplied or defaulted, accepts values such as '"+strings.Join(manifests.ExtraComponents, ",")+"'")
	fs.StringVar(&f.registry, "registry", manifests.DefaultRegistry, "container registry where the toolkit images are published")
	fs.StringVar(&f.imagePullSecret, "image-pull-secret", "", "Kubernetes secret name used for pulling the toolkit images from a private registry")
	fs.StringVarP(&f.version, "version", "v", "", "toolkit image tag (default: the tag deploy/ names)")
	fs.StringVar(&f.logLevel, "log-level", "info", "log level, available options are: (debug, info, error)")
	fs.StringVar(&f.clusterDomain, "cluster-domain", "cluster.local", "internal cluster domain")
	fs.StringSliceVar(&f.tolerationKeys, "toleration-keys", nil, "list of toleration keys used to schedule the components pods onto nodes with matching taints")
	fs.BoolVar(&f.watchAllNamespaces, "watch-all-namespaces", true, "watch for custom resources in all namespaces, if set to false it will only watch the namespace where the toolkit is installed")
	fs.BoolVar(&f.networkPolicy, "network-policy", true, "deny ingress access to the toolkit controllers from other namespaces using network policies")
}

// options returns the manifests options of f for namespace, built by the CLI of version.
func (f *installFlags) options(namespace, version string) manifests.Options {
	registry := f.registry
	if registry == manifests.DefaultRegistry {
		registry = ""
	}
	return manifests.Options{
		Namespace: namespace, Components: f.components, ComponentsExtra: f.componentsExtra,
		Registry: registry, Tag: f.version, ImagePullSecret: f.imagePullSecret,
		WatchAllNamespaces: f.watchAllNamespaces, NetworkPolicy: f.networkPolicy,
		ClusterDomain: f.clusterDomain, TolerationKeys: f.tolerationKeys, LogLevel: f.logLevel, Version: version,
	}
}

// newInstallCommand returns `ferry install`.
func newInstallCommand(a *app) *cobra.Command {
	var f installFlags
	var export bool
	c := &cobra.Command{
		Use:   "install",
		Short: "Install or upgrade Ferry",
		Long: "The install command deploys Ferry in the specified namespace: the manifests of deploy/,\n" +
			"embedded in the binary, applied with server-side apply, CRDs first.\n" +
			"If a previous version is installed, then an in-place upgrade will be performed.",
		Example: `  # Install the default components in flux-system
  ferry install

  # Install the image automation controllers too
  ferry install --components-extra=image-reflector-controller,image-automation-controller

  # Print the manifests instead of applying them
  ferry install --export > gotk-components.yaml`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			objs, err := manifests.Build(f.options(a.flags.namespace, a.opts.Version))
			if err != nil {
				return err
			}
			if export {
				return writeManifests(a.opts.Out, objs)
			}
			ctx, cancel, c, err := a.connect(cmd)
			if err != nil {
				return err
			}
			defer cancel()
			a.logf("✚", "generating manifests")
			a.successf("manifests build completed")
			return a.install(ctx, c, objs)
		},
	}
	addInstallFlags(c.Flags(), &f)
	c.Flags().BoolVar(&export, "export", false, "write the install manifests to stdout and exit")
	return c
}

// writeManifests prints objs as a YAML stream.
func writeManifests(w io.Writer, objs []*unstructured.Unstructured) error {
	out, err := manifests.YAML(objs)
	if err != nil {
		return err
	}
	_, err = io.WriteString(w, out)
	return err
}

// install applies objs and waits for the controllers' Deployments.
func (a *app) install(ctx context.Context, c client.Client, objs []*unstructured.Unstructured) error {
	a.actionf("installing components in %s namespace", a.flags.namespace)
	cs, err := install.Apply(ctx, c, objs)
	if cs != nil {
		for _, ch := range cs.Entries {
			fmt.Fprintln(a.opts.Err, ch.String())
		}
	}
	if err != nil {
		return err
	}
	a.successf("install completed")
	a.waitingf("verifying installation")
	deployments := install.Deployments(objs)
	if err := install.WaitReady(ctx, c, deployments, a.opts.PollInterval); err != nil {
		return err
	}
	for _, d := range deployments {
		a.successf("%s: deployment ready", d.Name)
	}
	a.successf("install finished")
	return nil
}
