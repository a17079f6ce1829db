package cmd

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"
	"helm.sh/helm/v3/pkg/chart"
	"helm.sh/helm/v3/pkg/chart/loader"
	"helm.sh/helm/v3/pkg/storage/driver"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/ferry-gitops/ferry/cli/internal/helmrender"
	helmv2 "github.com/ferry-gitops/ferry/shared/api/helm/v2"
	"github.com/ferry-gitops/ferry/shared/helm/values"
)

// newDiffHelmReleaseCommand returns `ferry diff helmrelease`, beyond flux.
func newDiffHelmReleaseCommand(a *app) *cobra.Command {
	var chartPath string
	c := &cobra.Command{
		Use:     "helmrelease <name>",
		Aliases: []string{"hr"},
		Short:   "Diff a HelmRelease rendered as the controller would with the cluster",
		Long: "The diff helmrelease command renders the release with its current values (spec.valuesFrom\n" +
			"then spec.values) from the chart of --chart-path, or of the release Helm recorded in the\n" +
			"cluster, server-side dry-run applies each object and prints what would be created or changed;\n" +
			"it exits with 1 when anything differs.",
		Example: `  # What would a values change do?
  ferry diff helmrelease podinfo -n apps

  # What would the next chart version do?
  ferry diff hr podinfo -n apps --chart-path ./charts/podinfo`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx, cancel, c, err := a.connect(cmd)
			if err != nil {
				return err
			}
			defer cancel()
			objs, err := a.renderRelease(ctx, c, args[0], chartPath)
			if err != nil {
				return err
			}
			return a.diffObjects(ctx, c, objs, helmManager)
		},
	}
	c.Flags().StringVar(&chartPath, "chart-path", "", "path to a chart directory or archive to render instead of the chart of the current release")
	return c
}

// renderRelease renders the HelmRelease name with its values and the chart of chartPath or
// of its current release.
func (a *app) renderRelease(ctx context.Context, c client.Client, name, chartPath string) ([]*unstructured.Unstructured, error) {
	hr := &helmv2.HelmRelease{}
	key := types.NamespacedName{Namespace: a.flags.namespace, Name: name}
	if err := c.Get(ctx, key, hr); err != nil {
		return nil, fmt.Errorf("failed to get HelmRelease %s: %w", key, err)
	}
	cfg, err := a.restConfig()
	if err != nil {
		return nil, err
	}
	cs, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return nil, fmt.Errorf("failed to create the Kubernetes client: %w", err)
	}
	chrt, err := releaseChart(hr, cs, chartPath)
	if err != nil {
		return nil, err
	}
	vals, err := helmrender.Values(ctx, hr, values.Reader{Client: c, Namespace: hr.Namespace})
	if err != nil {
		return nil, err
	}
	version, err := a.serverVersion()
	if err != nil {
		return nil, err
	}
	objs, err := helmrender.Render(helmrender.Options{Release: hr, Chart: chrt, Values: vals, KubeVersion: version})
	if err != nil {
		return nil, err
	}
	target := hr.Spec.TargetNamespace
	if target == "" {
		target = hr.Namespace
	}
	for _, obj := range objs {
		if obj.GetNamespace() != "" {
			continue
		}
		namespaced, err := c.IsObjectNamespaced(obj)
		if err != nil {
			return nil, fmt.Errorf("failed to find the scope of %s %s: %w", obj.GetKind(), obj.GetName(), err)
		}
		if namespaced {
			obj.SetNamespace(target)
		}
	}
	return objs, nil
}

// releaseChart loads the chart of chartPath, or of the release Helm recorded last.
func releaseChart(hr *helmv2.HelmRelease, cs kubernetes.Interface, chartPath string) (*chart.Chart, error) {
	if chartPath != "" {
		chrt, err := loader.Load(chartPath)
		if err != nil {
			return nil, fmt.Errorf("failed to load the chart %s: %w", chartPath, err)
		}
		return chrt, nil
	}
	latest := hr.Status.History.Latest()
	if latest == nil {
		return nil, fmt.Errorf("HelmRelease %s/%s has no release yet: give the chart with --chart-path", hr.Namespace, hr.Name)
	}
	ns := hr.Status.StorageNamespace
	if ns == "" {
		ns = latest.Namespace
	}
	rel, err := driver.NewSecrets(cs.CoreV1().Secrets(ns)).Get(fmt.Sprintf("sh.helm.release.v1.%s.v%d", latest.Name, latest.Version))
	if err != nil {
		return nil, fmt.Errorf("failed to read release %s v%d in %s: %w", latest.Name, latest.Version, ns, err)
	}
	return rel.Chart, nil
}
