package action

import (
	"fmt"

	"helm.sh/helm/v3/pkg/release"
)

// RecoverPending unlocks a release whose latest revision was left pending-install,
// pending-upgrade or pending-rollback by a controller that stopped in the middle of the
// action: it marks that revision failed, so that the next upgrade, rollback or uninstall
// can proceed instead of failing with "another operation is in progress" forever. It
// returns the revision it changed, or nil when the release is not pending (or does not
// exist). The caller owns the release: it must only call this when no action of its own
// is running on it.
func (c *Client) RecoverPending(name string) (*release.Release, error) {
	last, err := c.LastRelease(name)
	if err != nil || last == nil || !last.Info.Status.IsPending() {
		return nil, err
	}
	was := last.Info.Status
	last.SetStatus(release.StatusFailed,
		fmt.Sprintf("Release was left %s by an interrupted operation; marked failed by %s", was, FieldManager))
	if err := c.cfg.Releases.Update(last); err != nil {
		return nil, fmt.Errorf("failed to mark release %s revision %d failed: %w", name, last.Version, err)
	}
	return last, nil
}
