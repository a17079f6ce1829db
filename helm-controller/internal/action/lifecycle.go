package action

import (
	"context"
	"errors"
	"fmt"
	"time"

	helmaction "helm.sh/helm/v3/pkg/action"
	"helm.sh/helm/v3/pkg/release"
	"helm.sh/helm/v3/pkg/storage/driver"

	helmv2 "github.com/ferry-gitops/ferry/shared/api/helm/v2"
)

// TestOptions tune Test; they mirror spec.test of a HelmRelease.
type TestOptions struct {
	// Timeout bounds each test hook; DefaultTimeout when zero.
	Timeout time.Duration
	// Filters include or exclude test hooks by name, as `helm test --filter` does.
	Filters []helmv2.Filter
}

// Test runs the release's test hooks and returns the release with their outcome recorded
// in its hooks. A failing test returns the release and an error naming it.
func (c *Client) Test(ctx context.Context, name string, o TestOptions) (*release.Release, error) {
	if err := c.begin(ctx); err != nil {
		return nil, fmt.Errorf("failed to test release %s: %w", name, err)
	}
	t := helmaction.NewReleaseTesting(c.cfg)
	t.Namespace = c.ns
	t.Timeout = timeoutOr(o.Timeout)
	t.Filters = testFilters(o.Filters)
	rel, err := t.Run(name)
	if err != nil {
		return rel, fmt.Errorf("failed to test release %s: %w", name, err)
	}
	return rel, nil
}

// testFilters turns the HelmRelease filters into Helm's filter map: "name" includes a
// hook, "!name" excludes it.
func testFilters(filters []helmv2.Filter) map[string][]string {
	out := map[string][]string{}
	for _, f := range filters {
		key := "name"
		if f.Exclude {
			key = "!name"
		}
		out[key] = append(out[key], f.Name)
	}
	return out
}

// RollbackOptions tune Rollback; they mirror spec.rollback of a HelmRelease.
type RollbackOptions struct {
	// Version is the revision to roll back to; zero means the previous one.
	Version int
	// Timeout bounds each Kubernetes operation (waits, hooks); DefaultTimeout when zero.
	Timeout time.Duration
	// Wait waits until the release's resources are Current.
	Wait bool
	// WaitForJobs also waits for the release's Jobs to complete.
	WaitForJobs bool
	// DisableHooks skips the chart's hooks.
	DisableHooks bool
	// Recreate restarts the release's pods.
	Recreate bool
	// Force replaces objects (delete and recreate) when a patch cannot update them.
	Force bool
	// CleanupOnFail deletes the objects the failed rollback created.
	CleanupOnFail bool
	// MaxHistory caps the revisions kept in storage; zero keeps all.
	MaxHistory int
	// ServerSideApply selects server-side apply: enabled, disabled, or auto (or empty), which
	// applies as the revision rolled back to was applied.
	ServerSideApply helmv2.ServerSideApplyMode
}

// Rollback rolls the release back to an earlier revision, which Helm records as a new
// revision, recording how its objects were applied.
func (c *Client) Rollback(ctx context.Context, name string, o RollbackOptions) error {
	if err := c.begin(ctx); err != nil {
		return fmt.Errorf("failed to roll back release %s: %w", name, err)
	}
	current, to := c.rollbackPair(name, o.Version)
	ssa := serverSide(o.ServerSideApply, to)
	c.kube.serverSideApply(ssa, ApplyMethod(current) == ApplyMethodClientSide)
	r := helmaction.NewRollback(c.cfg)
	r.Version = o.Version
	r.Timeout = timeoutOr(o.Timeout)
	r.Wait = o.Wait
	r.WaitForJobs = o.WaitForJobs
	r.DisableHooks = o.DisableHooks
	r.Recreate = o.Recreate
	r.Force = o.Force
	r.CleanupOnFail = o.CleanupOnFail
	r.MaxHistory = o.MaxHistory
	runErr := r.Run(name)
	if current != nil && (to == nil || to.Labels[ApplyMethodLabel] != methodOf(ssa)) {
		// Helm copies the labels of the revision rolled back to, which applied the other way
		// or did not record it.
		if err := c.recordApplyMethod(name, current.Version+1, ssa); err != nil {
			if runErr == nil {
				return fmt.Errorf("failed to roll back release %s: %w", name, err)
			}
			c.opts.Log("%v", err)
		}
	}
	if runErr != nil {
		return fmt.Errorf("failed to roll back release %s: %w", name, runErr)
	}
	return nil
}

// rollbackPair returns the release's latest revision and the one a rollback to version (zero:
// the previous one) goes back to; nil for those that cannot be read, which the rollback then
// reports.
func (c *Client) rollbackPair(name string, version int) (current, to *release.Release) {
	current, err := c.cfg.Releases.Last(name)
	if err != nil {
		return nil, nil
	}
	if version == 0 {
		version = current.Version - 1
	}
	to, err = c.cfg.Releases.Get(name, version)
	if err != nil {
		return current, nil
	}
	return current, to
}

// recordApplyMethod records the apply method on the given revision of the release, when
// Helm stored it.
func (c *Client) recordApplyMethod(name string, version int, ssa bool) error {
	rel, err := c.cfg.Releases.Get(name, version)
	if errors.Is(err, driver.ErrReleaseNotFound) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("failed to read revision %d of release %s: %w", version, name, err)
	}
	rel.Labels = withApplyMethod(rel.Labels, ssa)
	if err := c.cfg.Releases.Update(rel); err != nil {
		return fmt.Errorf("failed to record the apply method of revision %d of release %s: %w", version, name, err)
	}
	return nil
}

// UninstallOptions tune Uninstall; they mirror spec.uninstall of a HelmRelease.
type UninstallOptions struct {
	// Timeout bounds each Kubernetes operation (waits, hooks); DefaultTimeout when zero.
	Timeout time.Duration
	// Wait waits until the release's resources are deleted.
	Wait bool
	// DisableHooks skips the chart's hooks.
	DisableHooks bool
	// KeepHistory keeps the release's revisions, marked uninstalled.
	KeepHistory bool
	// DeletionPropagation is background, foreground or orphan; background when empty.
	DeletionPropagation string
	// Description is recorded in the release when its history is kept.
	Description string
}

// Uninstall deletes the release's objects and, unless KeepHistory, its revisions. A
// release that does not exist, or was already uninstalled with its history kept, is not
// an error: the response is nil.
func (c *Client) Uninstall(ctx context.Context, name string, o UninstallOptions) (*release.UninstallReleaseResponse, error) {
	if err := c.begin(ctx); err != nil {
		return nil, fmt.Errorf("failed to uninstall release %s: %w", name, err)
	}
	u := helmaction.NewUninstall(c.cfg)
	u.Timeout = timeoutOr(o.Timeout)
	u.Wait = o.Wait
	u.DisableHooks = o.DisableHooks
	u.KeepHistory = o.KeepHistory
	u.DeletionPropagation = o.DeletionPropagation
	if u.DeletionPropagation == "" {
		u.DeletionPropagation = "background"
	}
	u.Description = o.Description
	last, err := c.LastRelease(name)
	if err != nil {
		return nil, err
	}
	if last == nil || (last.Info.Status == release.StatusUninstalled && o.KeepHistory) {
		return nil, nil
	}
	res, err := u.Run(name)
	if err != nil {
		return res, fmt.Errorf("failed to uninstall release %s: %w", name, err)
	}
	return res, nil
}
