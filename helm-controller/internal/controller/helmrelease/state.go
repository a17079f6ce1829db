package helmrelease

import (
	"context"
	"fmt"
	"time"

	helmchart "helm.sh/helm/v3/pkg/chart"
	corev1 "k8s.io/api/core/v1"

	"github.com/ferry-gitops/ferry/helm-controller/internal/action"
	helmv2 "github.com/ferry-gitops/ferry/shared/api/helm/v2"
	"github.com/ferry-gitops/ferry/shared/health"
	"github.com/ferry-gitops/ferry/shared/helm/postrender"
	"github.com/ferry-gitops/ferry/shared/runtime/dependency"
	"github.com/ferry-gitops/ferry/shared/runtime/reconcile"
)

// state is what the steps of one reconcile hand to each other.
type state struct {
	r *Reconciler

	chart        *helmchart.Chart
	ociDigest    string
	values       map[string]any
	valuesDigest string
	checks       *health.Checks
	helm         *action.Client
}

// kind describes the reconcile of one HelmRelease with this state.
func (st *state) kind() *reconcile.Kind[*helmv2.HelmRelease] {
	return &reconcile.Kind[*helmv2.HelmRelease]{
		Name:        helmv2.HelmReleaseKind,
		New:         newHelmRelease,
		Finalizer:   helmv2.HelmReleaseFinalizer,
		Unsupported: unsupportedFields,
		Steps: []reconcile.Step[*helmv2.HelmRelease]{
			{Name: "dependencies", Run: st.dependencies},
			{Name: "chart", Run: st.getChart},
			{Name: "values", Run: st.composeValues},
			{Name: "release", Run: st.release},
		},
		Finalize: st.finalize,
		Interval: func(obj *helmv2.HelmRelease) time.Duration { return obj.GetRequeueAfter() },
	}
}

// dependencies waits until every HelmRelease and Kustomization in spec.dependsOn is ready.
func (st *state) dependencies(ctx context.Context, s *reconcile.Scope[*helmv2.HelmRelease]) reconcile.Result {
	return dependency.Check(ctx, s.Client, s.Obj, st.r.deps)
}

// helmClient returns the action client of the release, acting as its identity.
func (st *state) helmClient(ctx context.Context, s *reconcile.Scope[*helmv2.HelmRelease]) (*action.Client, error) {
	if st.helm != nil {
		return st.helm, nil
	}
	cfg, err := st.r.restConfig(ctx, s)
	if err != nil {
		return nil, err
	}
	log := s.Log.V(2)
	c, err := action.New(action.Config{
		RESTConfig:       cfg.config,
		Credentials:      cfg.credentials,
		StorageNamespace: s.Obj.GetStorageNamespace(),
		Namespace:        s.Obj.GetReleaseNamespace(),
		Cache:            st.r.actions,
		HealthChecks:     st.checks,
		LegacyWait:       st.r.defaults.legacyWait(s.Obj),
		Checked:          checkedKinds(s.Obj),
		PerActionClients: !s.Obj.UsePersistentClient(),
		Log:              func(format string, v ...any) { log.Info(fmt.Sprintf(format, v...)) },
	})
	if err != nil {
		return nil, err
	}
	st.helm = c
	return c, nil
}

// checkedKinds returns whether spec.healthCheckExprs name a kind: its apiVersion and kind, or
// its apiVersion without a kind.
func checkedKinds(obj *helmv2.HelmRelease) func(apiVersion, kind string) bool {
	exprs := obj.Spec.HealthCheckExprs
	return func(apiVersion, kind string) bool {
		for _, e := range exprs {
			if e.APIVersion == apiVersion && (e.Kind == "" || e.Kind == kind) {
				return true
			}
		}
		return false
	}
}

// release decides what the release needs and does it.
func (st *state) release(ctx context.Context, s *reconcile.Scope[*helmv2.HelmRelease]) reconcile.Result {
	obj := s.Obj
	checks, err := health.NewChecks(obj.Spec.HealthCheckExprs)
	if err != nil {
		return reconcile.Stalled(helmv2.InitFailedReason, fmt.Errorf("invalid spec.healthCheckExprs: %w", err))
	}
	st.checks = checks
	hc, err := st.helmClient(ctx, s)
	if err != nil {
		return reconcile.Transient(helmv2.InitFailedReason, err)
	}
	if res := st.moveRelease(ctx, s); !res.IsDone() {
		return res
	}
	obj.Status.StorageNamespace = obj.GetStorageNamespace()
	name := obj.GetReleaseName()
	if rel, err := hc.RecoverPending(name); err != nil {
		return reconcile.Transient(helmv2.GetLastReleaseFailedReason, err)
	} else if rel != nil {
		s.Event(corev1.EventTypeWarning, helmv2.GetLastReleaseFailedReason,
			fmt.Sprintf("Release %s was left pending by an interrupted operation; marked it failed to recover", describe(rel)))
	}
	cur, err := hc.LastRelease(name)
	if err != nil {
		return reconcile.Transient(helmv2.GetLastReleaseFailedReason, err)
	}
	d := decide(obj, cur, desired{
		chartName:            st.chart.Name(),
		chartVersion:         st.chart.Metadata.Version,
		configDigest:         st.valuesDigest,
		postRenderersDigest:  postRenderersDigest(obj),
		commonMetadataDigest: postrender.Digest(obj.Spec.CommonMetadata),
		force:                helmv2.ShouldHandleForceRequest(obj),
	})
	s.Log.V(1).Info("release decision", "action", d.action, "reason", d.reason)
	switch d.action {
	case actionInstall:
		return st.install(ctx, s)
	case actionUpgrade:
		return st.upgrade(ctx, s)
	case actionReinstall:
		return st.reinstall(ctx, s, d.reason)
	case actionTest:
		return st.runTests(ctx, s, cur)
	case actionStalled:
		return reconcile.Stalled(helmv2.RetriesExceededReason, fmt.Errorf("%s", d.reason))
	}
	return st.upToDate(ctx, s, cur)
}
