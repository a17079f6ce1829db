package helmrelease

import (
	"context"
	"errors"
	"fmt"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/ferry-gitops/ferry/helm-controller/internal/chart"
	helmv2 "github.com/ferry-gitops/ferry/shared/api/helm/v2"
	fluxmeta "github.com/ferry-gitops/ferry/shared/api/meta"
	sourcev1 "github.com/ferry-gitops/ferry/shared/api/source/v1"
	"github.com/ferry-gitops/ferry/shared/runtime/conditions"
	"github.com/ferry-gitops/ferry/shared/runtime/reconcile"
	"github.com/ferry-gitops/ferry/shared/runtime/sourceref"
)

// getChart finds the release's source (its own HelmChart, or the chartRef), waits for its
// artifact and loads the chart.
func (st *state) getChart(ctx context.Context, s *reconcile.Scope[*helmv2.HelmRelease]) reconcile.Result {
	obj := s.Obj
	if obj.Spec.ChartRef == nil && obj.Spec.Chart == nil {
		return reconcile.Stalled(helmv2.ArtifactFailedReason, errors.New("one of spec.chart and spec.chartRef must be set"))
	}
	src, res := st.source(ctx, s)
	if !res.IsDone() {
		return res
	}
	art := src.GetArtifact()
	if art == nil || !sourceReady(src) {
		return reconcile.Waiting(helmv2.ArtifactFailedReason, notReady(src))
	}
	c, err := st.r.charts.Load(ctx, art)
	if err != nil {
		return reconcile.Transient(helmv2.ArtifactFailedReason, err)
	}
	// An OCIRepository's or ExternalArtifact's chart may change without a new chart version:
	// the artifact's digest goes into the version, so that a new artifact upgrades the release.
	switch src.(type) {
	case *sourcev1.OCIRepository, *sourcev1.ExternalArtifact:
		if st.ociDigest = chart.OCIDigest(art.Revision); st.ociDigest == "" {
			st.ociDigest = art.Digest
		}
		chart.AddOCIDigest(c, st.ociDigest)
	}
	st.chart = c
	return reconcile.Done("", "")
}

// sourceReady reports whether src is Ready for its current generation. An ExternalArtifact's
// producer need not set status.observedGeneration: its Ready condition is enough.
func sourceReady(src sourceref.Source) bool {
	if _, ok := src.(*sourcev1.ExternalArtifact); ok && src.GetObjectStatus().ObservedGeneration == 0 {
		return conditions.IsTrue(src, fluxmeta.ReadyCondition)
	}
	return conditions.IsReady(src)
}

// notReady explains why a source has no usable artifact, with the source's own message.
func notReady(src sourceref.Source) error {
	kind := sourcev1.HelmChartKind
	switch src.(type) {
	case *sourcev1.OCIRepository:
		kind = sourcev1.OCIRepositoryKind
	case *sourcev1.ExternalArtifact:
		kind = sourcev1.ExternalArtifactKind
	}
	msg := fmt.Sprintf("%s '%s/%s' is not ready", kind, src.GetNamespace(), src.GetName())
	if c := conditions.Get(src, fluxmeta.ReadyCondition); c != nil && c.Message != "" && c.Status != "True" {
		msg += ": " + c.Message
	} else if src.GetArtifact() == nil {
		msg += ": no artifact yet"
	}
	return errors.New(msg)
}

// source returns the source object of the release: the one spec.chartRef names, or its own
// HelmChart, created or brought up to date from spec.chart.
func (st *state) source(ctx context.Context, s *reconcile.Scope[*helmv2.HelmRelease]) (sourceref.Source, reconcile.Result) {
	obj := s.Obj
	if ref := obj.Spec.ChartRef; ref != nil {
		if err := st.gcHelmChart(ctx, s, ""); err != nil {
			return nil, reconcile.Transient(helmv2.ArtifactFailedReason, err)
		}
		return st.chartRef(ctx, s.Client, obj)
	}
	desired := chart.DesiredHelmChart(obj)
	if st.r.noCrossNamespaceRefs && desired.Namespace != obj.Namespace {
		ref := obj.Spec.Chart.Spec.SourceRef
		return nil, reconcile.Stalled(fluxmeta.AccessDeniedReason, fmt.Errorf("cannot access %s, cross-namespace references have been disabled",
			sourceref.Ref{Kind: ref.Kind, Namespace: desired.Namespace, Name: ref.Name}))
	}
	if err := st.gcHelmChart(ctx, s, desired.Namespace+"/"+desired.Name); err != nil {
		return nil, reconcile.Transient(helmv2.ArtifactFailedReason, err)
	}
	hc, err := ensureHelmChart(ctx, s.Client, obj, desired)
	if err != nil {
		return nil, reconcile.Transient(helmv2.ArtifactFailedReason, err)
	}
	obj.Status.HelmChart = hc.Namespace + "/" + hc.Name
	if hc.Generation != hc.Status.ObservedGeneration {
		return nil, reconcile.Waiting(helmv2.ArtifactFailedReason,
			fmt.Errorf("HelmChart '%s/%s' is not ready: waiting for the new chart spec to be reconciled", hc.Namespace, hc.Name))
	}
	return hc, reconcile.Done("", "")
}

// chartRef reads the OCIRepository, HelmChart or ExternalArtifact spec.chartRef names; the
// CRD allows no other kind.
func (st *state) chartRef(ctx context.Context, c client.Reader, obj *helmv2.HelmRelease) (sourceref.Source, reconcile.Result) {
	ref := obj.Spec.ChartRef
	return sourceref.Resolve(ctx, c, obj, sourceref.Ref{Kind: ref.Kind, Namespace: ref.Namespace, Name: ref.Name},
		chartSources, st.r.noCrossNamespaceRefs, helmv2.ArtifactFailedReason)
}

// ensureHelmChart creates the HelmChart of the release, or brings its spec and template
// metadata up to date.
func ensureHelmChart(ctx context.Context, c client.Client, obj *helmv2.HelmRelease, desired *sourcev1.HelmChart) (*sourcev1.HelmChart, error) {
	setOwnership(obj, desired)
	existing := &sourcev1.HelmChart{}
	err := c.Get(ctx, client.ObjectKeyFromObject(desired), existing)
	if apierrors.IsNotFound(err) {
		if err := c.Create(ctx, desired); err != nil {
			return nil, fmt.Errorf("failed to create HelmChart '%s/%s': %w", desired.Namespace, desired.Name, err)
		}
		return desired, nil
	}
	if err != nil {
		return nil, fmt.Errorf("failed to get HelmChart '%s/%s': %w", desired.Namespace, desired.Name, err)
	}
	if chart.Sync(existing, desired) {
		if err := c.Update(ctx, existing); err != nil {
			return nil, fmt.Errorf("failed to update HelmChart '%s/%s': %w", desired.Namespace, desired.Name, err)
		}
	}
	return existing, nil
}

// setOwnership labels the HelmChart with the HelmRelease it belongs to and, in the same
// namespace, makes the HelmRelease its owner so the garbage collector removes it too.
func setOwnership(obj *helmv2.HelmRelease, hc *sourcev1.HelmChart) {
	if hc.Labels == nil {
		hc.Labels = map[string]string{}
	}
	hc.Labels[helmv2.NameLabel], hc.Labels[helmv2.NamespaceLabel] = obj.Name, obj.Namespace
	if hc.Namespace == obj.Namespace && obj.UID != "" {
		hc.OwnerReferences = []metav1.OwnerReference{{
			APIVersion: helmv2.GroupVersion.String(),
			Kind:       helmv2.HelmReleaseKind,
			Name:       obj.Name,
			UID:        obj.UID,
		}}
	}
}

// gcHelmChart deletes the HelmChart recorded in status.helmChart when it is not keep
// ('<namespace>/<name>', empty to delete any), and only when it belongs to this release.
func (st *state) gcHelmChart(ctx context.Context, s *reconcile.Scope[*helmv2.HelmRelease], keep string) error {
	obj := s.Obj
	if obj.Status.HelmChart == "" || obj.Status.HelmChart == keep {
		return nil
	}
	ns, name := obj.Status.GetHelmChart()
	hc := &sourcev1.HelmChart{}
	err := s.Client.Get(ctx, types.NamespacedName{Namespace: ns, Name: name}, hc)
	if err == nil && hc.Labels[helmv2.NameLabel] == obj.Name && hc.Labels[helmv2.NamespaceLabel] == obj.Namespace {
		err = s.Client.Delete(ctx, hc)
		if err == nil {
			s.Log.Info("deleted HelmChart no longer used", "helmchart", obj.Status.HelmChart)
		}
	}
	if err != nil && !apierrors.IsNotFound(err) {
		return fmt.Errorf("failed to delete HelmChart '%s': %w", obj.Status.HelmChart, err)
	}
	obj.Status.HelmChart = ""
	return nil
}
