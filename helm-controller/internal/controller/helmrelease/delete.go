package helmrelease

import (
	"context"
	"errors"
	"fmt"

	"helm.sh/helm/v3/pkg/storage/driver"
	corev1 "k8s.io/api/core/v1"

	"github.com/ferry-gitops/ferry/helm-controller/internal/action"
	helmv2 "github.com/ferry-gitops/ferry/shared/api/helm/v2"
	"github.com/ferry-gitops/ferry/shared/runtime/reconcile"
)

// finalize uninstalls the release of a deleted HelmRelease and deletes its HelmChart. The
// shared runtime skips it for a suspended HelmRelease, which leaves its release alone.
func (st *state) finalize(ctx context.Context, s *reconcile.Scope[*helmv2.HelmRelease]) reconcile.Result {
	if res := st.uninstallOnDelete(ctx, s); !res.IsDone() {
		return res
	}
	if err := st.gcHelmChart(ctx, s, ""); err != nil {
		return reconcile.Transient(helmv2.ArtifactFailedReason, err)
	}
	return reconcile.Done("", "")
}

// uninstallOnDelete uninstalls the release of a deleted HelmRelease, in the cluster of
// spec.kubeConfig when it names one.
func (st *state) uninstallOnDelete(ctx context.Context, s *reconcile.Scope[*helmv2.HelmRelease]) reconcile.Result {
	obj := s.Obj
	hc, err := st.helmClient(ctx, s)
	if err != nil {
		return reconcile.Transient(helmv2.InitFailedReason, err)
	}
	cur, err := hc.LastRelease(obj.GetReleaseName())
	if err != nil {
		return reconcile.Transient(helmv2.GetLastReleaseFailedReason, err)
	}
	if cur != nil {
		if _, err := hc.RecoverPending(obj.GetReleaseName()); err != nil {
			return reconcile.Transient(helmv2.UninstallFailedReason, err)
		}
		_, err := hc.Uninstall(ctx, obj.GetReleaseName(), uninstallOptions(obj))
		if err != nil && !errors.Is(err, driver.ErrReleaseNotFound) {
			return reconcile.Transient(helmv2.UninstallFailedReason, err)
		}
		s.Event(corev1.EventTypeNormal, helmv2.UninstallSucceededReason,
			fmt.Sprintf("Helm uninstall succeeded for release %s", describe(cur)))
	}
	return reconcile.Done("", "")
}

// moveRelease uninstalls the release recorded in the history when the release name, target
// namespace or storage namespace changed, before the release is installed under the new
// ones.
func (st *state) moveRelease(ctx context.Context, s *reconcile.Scope[*helmv2.HelmRelease]) reconcile.Result {
	obj := s.Obj
	latest := obj.Status.History.Latest()
	storage := obj.Status.StorageNamespace
	if latest == nil || storage == "" ||
		(latest.Name == obj.GetReleaseName() && latest.Namespace == obj.GetReleaseNamespace() && storage == obj.GetStorageNamespace()) {
		return reconcile.Done("", "")
	}
	cfg, err := st.r.restConfig(ctx, s)
	if err != nil {
		return reconcile.Transient(helmv2.InitFailedReason, err)
	}
	old, err := action.New(action.Config{RESTConfig: cfg.config, Credentials: cfg.credentials, StorageNamespace: storage, Namespace: latest.Namespace, Cache: st.r.actions})
	if err != nil {
		return reconcile.Transient(helmv2.InitFailedReason, err)
	}
	if _, err := old.RecoverPending(latest.Name); err != nil {
		return reconcile.Transient(helmv2.UninstallFailedReason, err)
	}
	opts := uninstallOptions(obj)
	progressing(ctx, s, "uninstall", opts.Timeout, fmt.Sprintf("for release %s with chart %s", latest.FullReleaseName(), latest.VersionedChartName()))
	if _, err := old.Uninstall(ctx, latest.Name, opts); err != nil && !errors.Is(err, driver.ErrReleaseNotFound) {
		return reconcile.Transient(helmv2.UninstallFailedReason, err)
	}
	s.Event(corev1.EventTypeNormal, helmv2.UninstallSucceededReason,
		fmt.Sprintf("Helm uninstall succeeded for release %s: the release name, target or storage namespace changed", latest.FullReleaseName()))
	obj.Status.ClearHistory()
	obj.Status.Inventory = nil
	return reconcile.Done("", "")
}
