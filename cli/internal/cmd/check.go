package cmd

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/Masterminds/semver/v3"
	"github.com/spf13/cobra"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/discovery"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/ferry-gitops/ferry/cli/internal/install"
	"github.com/ferry-gitops/ferry/cli/internal/manifests"
	kustomizev1 "github.com/ferry-gitops/ferry/shared/api/kustomize/v1"
	"github.com/ferry-gitops/ferry/shared/health"
)

// MinKubernetesVersion is the oldest Kubernetes the controllers are built and tested for.
const MinKubernetesVersion = ">=1.30.0-0"

// newCheckCommand returns `ferry check`.
func newCheckCommand(a *app) *cobra.Command {
	var pre bool
	c := &cobra.Command{
		Use:   "check",
		Short: "Check requirements and installation",
		Long: "The check command verifies that the cluster meets the requirements (Kubernetes version)\n" +
			"and, unless --pre is set, that the controllers' Deployments are ready and the CRDs established.",
		Example: `  # Run pre-installation checks
  ferry check --pre

  # Run installation checks
  ferry check`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx, cancel := a.withTimeout(cmd.Context())
			defer cancel()
			a.actionf("checking prerequisites")
			if err := a.checkKubernetes(); err != nil {
				a.failuref("%v", err)
				if pre {
					return errors.New("pre-install checks failed")
				}
				return errors.New("check failed")
			}
			if pre {
				a.successf("prerequisites checks passed")
				return nil
			}
			c, err := a.client()
			if err != nil {
				return err
			}
			ok := a.checkDistribution(ctx, c)
			ok = a.checkControllers(ctx, c) && ok
			ok = a.checkCRDs(ctx, c) && ok
			if !ok {
				return errors.New("check failed")
			}
			a.successf("all checks passed")
			return nil
		},
	}
	c.Flags().BoolVar(&pre, "pre", false, "only run pre-installation checks")
	return c
}

// serverVersion returns the cluster's Kubernetes version, as v1.34.4.
func (a *app) serverVersion() (string, error) {
	cfg, err := a.restConfig()
	if err != nil {
		return "", err
	}
	dc, err := discovery.NewDiscoveryClientForConfig(cfg)
	if err != nil {
		return "", fmt.Errorf("failed to create the discovery client: %w", err)
	}
	info, err := dc.ServerVersion()
	if err != nil {
		return "", fmt.Errorf("failed to get the Kubernetes version: %w", err)
	}
	return info.GitVersion, nil
}

// checkKubernetes compares the server's version with MinKubernetesVersion.
func (a *app) checkKubernetes() error {
	version, err := a.serverVersion()
	if err != nil {
		return err
	}
	v, err := semver.NewVersion(version)
	if err != nil {
		return fmt.Errorf("failed to parse the Kubernetes version %q: %w", version, err)
	}
	constraint, _ := semver.NewConstraint(MinKubernetesVersion)
	if !constraint.Check(v) {
		return fmt.Errorf("Kubernetes version %s does not match %s", v.Original(), MinKubernetesVersion)
	}
	a.successf("Kubernetes %s %s", v.String(), MinKubernetesVersion)
	return nil
}

// checkDistribution reports the version that installed the namespace and whether it is
// bootstrapped (applied by a Kustomization, which labels what it applies).
func (a *app) checkDistribution(ctx context.Context, c client.Client) bool {
	a.actionf("checking version in cluster")
	var ns corev1.Namespace
	if err := c.Get(ctx, client.ObjectKey{Name: a.flags.namespace}, &ns); err != nil {
		a.failuref("failed to get namespace %s: %v", a.flags.namespace, err)
		return false
	}
	version := ns.Labels[manifests.VersionLabel]
	if version == "" {
		version = "unknown"
	}
	a.successf("distribution: ferry-%s", version)
	a.successf("bootstrapped: %t", ns.Labels[kustomizev1.NameLabel] != "")
	return true
}

// checkControllers reports the readiness and images of Ferry's Deployments.
func (a *app) checkControllers(ctx context.Context, c client.Client) bool {
	a.actionf("checking controllers")
	var list appsv1.DeploymentList
	if err := c.List(ctx, &list, client.InNamespace(a.flags.namespace),
		client.MatchingLabels{install.PartOfLabel: install.PartOfValue}); err != nil {
		a.failuref("failed to list the controllers: %v", err)
		return false
	}
	if len(list.Items) == 0 {
		a.failuref("no controllers found in %s namespace", a.flags.namespace)
		return false
	}
	ok := true
	for i := range list.Items {
		d := &list.Items[i]
		res, err := computeHealth(d)
		switch {
		case err != nil:
			a.failuref("%s: %v", d.Name, err)
			ok = false
		case res.Status != health.Current:
			a.failuref("%s: deployment not ready: %s", d.Name, res.Message)
			ok = false
		default:
			a.successf("%s: deployment ready", d.Name)
		}
		for _, ct := range d.Spec.Template.Spec.Containers {
			a.actionf("%s", ct.Image)
		}
	}
	return ok
}

// computeHealth computes the kstatus of a typed object.
func computeHealth(obj client.Object) (health.Result, error) {
	m, err := runtime.DefaultUnstructuredConverter.ToUnstructured(obj)
	if err != nil {
		return health.Result{}, err
	}
	u := &unstructured.Unstructured{Object: m}
	u.SetAPIVersion("apps/v1")
	u.SetKind("Deployment")
	return health.Compute(u)
}

// checkCRDs reports whether Ferry's CRDs are established, with their stored versions.
func (a *app) checkCRDs(ctx context.Context, c client.Client) bool {
	a.actionf("checking crds")
	var list apiextensionsv1.CustomResourceDefinitionList
	if err := c.List(ctx, &list, client.MatchingLabels{install.PartOfLabel: install.PartOfValue}); err != nil {
		a.failuref("failed to list the CRDs: %v", err)
		return false
	}
	if len(list.Items) == 0 {
		a.failuref("no toolkit CRDs found")
		return false
	}
	ok := true
	for _, crd := range list.Items {
		established := false
		for _, cond := range crd.Status.Conditions {
			if cond.Type == apiextensionsv1.Established && cond.Status == apiextensionsv1.ConditionTrue {
				established = true
			}
		}
		versions := strings.Join(crd.Status.StoredVersions, ",")
		if !established {
			a.failuref("%s/%s: not established", crd.Name, versions)
			ok = false
			continue
		}
		a.successf("%s/%s", crd.Name, versions)
	}
	return ok
}
