package action

import (
	"context"
	"fmt"
	"time"

	helmaction "helm.sh/helm/v3/pkg/action"
	"helm.sh/helm/v3/pkg/chart"
	"helm.sh/helm/v3/pkg/chartutil"
	"helm.sh/helm/v3/pkg/postrender"
	"helm.sh/helm/v3/pkg/release"

	helmv2 "github.com/ferry-gitops/ferry/shared/api/helm/v2"
)

// DefaultTimeout bounds an action whose options give no timeout, as the HelmRelease's
// spec.timeout default does.
const DefaultTimeout = 5 * time.Minute

// InstallOptions tune Install; they mirror spec.install of a HelmRelease.
type InstallOptions struct {
	// ReleaseName is the name of the release.
	ReleaseName string
	// Timeout bounds each Kubernetes operation (waits, hooks); DefaultTimeout when zero.
	Timeout time.Duration
	// Wait waits until the release's resources are Current before marking it deployed.
	Wait bool
	// WaitForJobs also waits for the release's Jobs to complete.
	WaitForJobs bool
	// DisableHooks skips the chart's hooks.
	DisableHooks bool
	// DisableOpenAPIValidation skips the client-side OpenAPI validation of the manifest.
	DisableOpenAPIValidation bool
	// DisableSchemaValidation skips the validation of the values against the chart's
	// values.schema.json.
	DisableSchemaValidation bool
	// Replace reuses the name of a release that was uninstalled or failed.
	Replace bool
	// CRDs is the policy for the chart's crds/ directory; Create when empty.
	CRDs helmv2.CRDsPolicy
	// CreateNamespace creates the target namespace when it does not exist.
	CreateNamespace bool
	// TakeOwnership adopts existing objects that carry no Helm ownership.
	TakeOwnership bool
	// PostRenderer transforms the rendered manifests (kustomize patches, common metadata).
	PostRenderer postrender.PostRenderer
	// PostRenderStrategy says which manifests PostRenderer transforms: the templates only
	// (nohooks, or empty), hooks and templates as one stream (combined), or hooks and
	// templates as two streams (separate).
	PostRenderStrategy string
	// Labels are added to the release's storage Secret.
	Labels map[string]string
	// Description is recorded in the release; Helm's own when empty.
	Description string
	// ServerSideApply applies the objects server-side instead of with Helm 3's client-side
	// patches; the release records which (ApplyMethodLabel).
	ServerSideApply bool
}

// Install installs chrt with vals as a new release and returns it. On failure it returns
// the failed release when Helm recorded one, and an error saying what failed.
func (c *Client) Install(ctx context.Context, chrt *chart.Chart, vals map[string]any, o InstallOptions) (*release.Release, error) {
	if err := c.begin(ctx); err != nil {
		return nil, fmt.Errorf("failed to install release %s: %w", o.ReleaseName, err)
	}
	policy := o.CRDs
	if policy == "" {
		policy = helmv2.Create
	}
	if err := c.applyCRDs(ctx, chrt, policy, timeoutOr(o.Timeout)); err != nil {
		return nil, fmt.Errorf("failed to install release %s: %w", o.ReleaseName, err)
	}
	i := helmaction.NewInstall(c.cfg)
	i.ReleaseName = o.ReleaseName
	i.Namespace = c.ns
	i.Timeout = timeoutOr(o.Timeout)
	i.Wait = o.Wait
	i.WaitForJobs = o.WaitForJobs
	i.DisableHooks = o.DisableHooks
	i.DisableOpenAPIValidation = o.DisableOpenAPIValidation
	i.SkipSchemaValidation = o.DisableSchemaValidation
	i.Replace = o.Replace
	i.SkipCRDs = true
	i.CreateNamespace = o.CreateNamespace
	i.TakeOwnership = o.TakeOwnership
	i.PostRenderer = o.PostRenderer
	i.Labels = withApplyMethod(o.Labels, o.ServerSideApply)
	i.Description = o.Description
	c.kube.serverSideApply(o.ServerSideApply, false)
	run := chrt
	if hooksPostRendered(o.PostRenderStrategy, o.PostRenderer) {
		var err error
		run, err = c.prerender(chrt, vals, renderInput{
			release:    chartutil.ReleaseOptions{Name: o.ReleaseName, Namespace: c.ns, Revision: 1, IsInstall: true},
			skipSchema: o.DisableSchemaValidation, pr: o.PostRenderer, strategy: o.PostRenderStrategy,
		})
		if err != nil {
			return nil, fmt.Errorf("failed to install release %s: %w", o.ReleaseName, err)
		}
		i.PostRenderer = nil
		defer c.unswap()
	}
	rel, err := i.RunWithContext(ctx, run, vals)
	if err != nil {
		return rel, fmt.Errorf("failed to install release %s: %w", o.ReleaseName, err)
	}
	return rel, nil
}

// UpgradeOptions tune Upgrade; they mirror spec.upgrade of a HelmRelease.
type UpgradeOptions struct {
	// ReleaseName is the name of the release.
	ReleaseName string
	// Timeout bounds each Kubernetes operation (waits, hooks); DefaultTimeout when zero.
	Timeout time.Duration
	// Wait waits until the release's resources are Current before marking it deployed.
	Wait bool
	// WaitForJobs also waits for the release's Jobs to complete.
	WaitForJobs bool
	// DisableHooks skips the chart's hooks.
	DisableHooks bool
	// DisableOpenAPIValidation skips the client-side OpenAPI validation of the manifest.
	DisableOpenAPIValidation bool
	// DisableSchemaValidation skips the validation of the values against the chart's
	// values.schema.json.
	DisableSchemaValidation bool
	// Force replaces objects (delete and recreate) when a patch cannot update them.
	Force bool
	// PreserveValues reuses the values of the last release, merged under vals.
	PreserveValues bool
	// CleanupOnFail deletes the objects the failed upgrade created.
	CleanupOnFail bool
	// CRDs is the policy for the chart's crds/ directory; Skip when empty.
	CRDs helmv2.CRDsPolicy
	// MaxHistory caps the revisions kept in storage; zero keeps all.
	MaxHistory int
	// TakeOwnership adopts existing objects that carry no Helm ownership.
	TakeOwnership bool
	// PostRenderer transforms the rendered manifests (kustomize patches, common metadata).
	PostRenderer postrender.PostRenderer
	// PostRenderStrategy says which manifests PostRenderer transforms: the templates only
	// (nohooks, or empty), hooks and templates as one stream (combined), or hooks and
	// templates as two streams (separate).
	PostRenderStrategy string
	// Labels are added to the release's storage Secret.
	Labels map[string]string
	// Description is recorded in the release; Helm's own when empty.
	Description string
	// ServerSideApply selects server-side apply: enabled, disabled, or auto (or empty), which
	// applies as the release's latest revision was applied. Objects applied client-side
	// before are handed over to the server-side apply.
	ServerSideApply helmv2.ServerSideApplyMode
}

// Upgrade upgrades the release to chrt with vals and returns the new revision. On failure
// it returns the failed revision when Helm recorded one, and an error saying what failed.
func (c *Client) Upgrade(ctx context.Context, chrt *chart.Chart, vals map[string]any, o UpgradeOptions) (*release.Release, error) {
	if err := c.begin(ctx); err != nil {
		return nil, fmt.Errorf("failed to upgrade release %s: %w", o.ReleaseName, err)
	}
	policy := o.CRDs
	if policy == "" {
		policy = helmv2.Skip
	}
	if err := c.applyCRDs(ctx, chrt, policy, timeoutOr(o.Timeout)); err != nil {
		return nil, fmt.Errorf("failed to upgrade release %s: %w", o.ReleaseName, err)
	}
	u := helmaction.NewUpgrade(c.cfg)
	u.Namespace = c.ns
	u.Timeout = timeoutOr(o.Timeout)
	u.Wait = o.Wait
	u.WaitForJobs = o.WaitForJobs
	u.DisableHooks = o.DisableHooks
	u.DisableOpenAPIValidation = o.DisableOpenAPIValidation
	u.SkipSchemaValidation = o.DisableSchemaValidation
	u.Force = o.Force
	u.ReuseValues = o.PreserveValues
	u.ResetValues = !o.PreserveValues
	u.CleanupOnFail = o.CleanupOnFail
	u.SkipCRDs = true
	u.MaxHistory = o.MaxHistory
	u.TakeOwnership = o.TakeOwnership
	u.PostRenderer = o.PostRenderer
	last, err := c.LastRelease(o.ReleaseName)
	if err != nil {
		return nil, fmt.Errorf("failed to upgrade release %s: %w", o.ReleaseName, err)
	}
	ssa := serverSide(o.ServerSideApply, last)
	u.Labels = withApplyMethod(o.Labels, ssa)
	u.Description = o.Description
	c.kube.serverSideApply(ssa, ApplyMethod(last) == ApplyMethodClientSide)
	run := chrt
	if last != nil && hooksPostRendered(o.PostRenderStrategy, o.PostRenderer) {
		// A release without revisions, or one with an action pending, fails in Helm's
		// upgrade as it would without post-rendered hooks.
		if rvals, last, current, err := c.upgradeValues(o.ReleaseName, chrt, vals, o.PreserveValues); err == nil {
			run, err = c.prerender(chrt, rvals, renderInput{
				release:    chartutil.ReleaseOptions{Name: o.ReleaseName, Namespace: current.Namespace, Revision: last.Version + 1, IsUpgrade: true},
				skipSchema: o.DisableSchemaValidation, pr: o.PostRenderer, strategy: o.PostRenderStrategy,
			})
			if err != nil {
				return nil, fmt.Errorf("failed to upgrade release %s: %w", o.ReleaseName, err)
			}
			u.PostRenderer = nil
			defer c.unswap()
		}
	}
	rel, err := u.RunWithContext(ctx, o.ReleaseName, run, vals)
	if err != nil {
		return rel, fmt.Errorf("failed to upgrade release %s: %w", o.ReleaseName, err)
	}
	return rel, nil
}

// timeoutOr returns d, or DefaultTimeout when d is zero.
func timeoutOr(d time.Duration) time.Duration {
	if d <= 0 {
		return DefaultTimeout
	}
	return d
}
