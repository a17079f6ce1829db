package helmchart

import (
	"context"
	"fmt"
	"slices"

	fluxmeta "github.com/ferry-gitops/ferry/shared/api/meta"
	sourcev1 "github.com/ferry-gitops/ferry/shared/api/source/v1"
	"github.com/ferry-gitops/ferry/shared/runtime/conditions"
	"github.com/ferry-gitops/ferry/shared/runtime/reconcile"
	sourcecontroller "github.com/ferry-gitops/ferry/source-controller/internal/controller"
	"github.com/ferry-gitops/ferry/source-controller/internal/storage"
)

// checkStorage drops an artifact whose file vanished from the storage, so that the chart is
// built again, and re-stamps the URL of one that is there.
func (st *state) checkStorage(_ context.Context, s *scope) reconcile.Result {
	st.vanished = st.r.artifacts.Check(s)
	return reconcile.Result{}
}

// resolve finds the chart and version spec.chart and spec.version name in the source, and
// whether the stored artifact already is that chart.
func (st *state) resolve(ctx context.Context, s *scope) reconcile.Result {
	var res reconcile.Result
	switch {
	case st.repo != nil && st.repo.IsOCI():
		res = st.resolveFromRegistry(ctx, s)
	case st.repo != nil:
		res = st.resolveFromIndex(s)
	default:
		res = st.resolveFromArtifact(ctx, s)
	}
	if res.IsDone() {
		st.upToDate = upToDate(s.Obj, st.chart.name, st.chart.version)
	}
	return res
}

// upToDate reports whether the stored artifact already is this chart version built with
// these values files from an unchanged spec, so nothing needs to be pulled or packaged. After
// a spec change or a failed build the chart is always built again.
func upToDate(obj *sourcev1.HelmChart, name, version string) bool {
	a := obj.Status.Artifact
	if a == nil || obj.Generation != obj.Status.ObservedGeneration ||
		conditions.IsTrue(obj, sourcev1.BuildFailedCondition) || conditions.IsTrue(obj, sourcev1.FetchFailedCondition) {
		return false
	}
	return a.Revision == version && obj.Status.ObservedChartName == name &&
		slices.Equal(obj.Status.ObservedValuesFiles, obj.Spec.ValuesFiles)
}

// build pulls or packages the resolved chart with its values files, unless the stored
// artifact is up to date.
func (st *state) build(ctx context.Context, s *scope) reconcile.Result {
	if st.upToDate {
		st.built = built{valuesFiles: s.Obj.Status.ObservedValuesFiles}
		return reconcile.Result{}
	}
	if _, err := st.tempDir(); err != nil {
		return sourcecontroller.StorageFailed(s.Obj, sourcev1.DirCreationFailedReason, err)
	}
	var res reconcile.Result
	switch {
	case st.repo != nil && st.repo.IsOCI():
		res = st.pullFromRegistry(ctx, s)
	case st.repo != nil:
		res = st.pullFromIndex(ctx, s)
	default:
		res = st.packageFromArtifact(ctx, s)
	}
	if res.IsDone() {
		conditions.Delete(s.Obj, sourcev1.FetchFailedCondition)
		conditions.Delete(s.Obj, sourcev1.BuildFailedCondition)
	}
	return res
}

// store stores the built chart unless the stored artifact is up to date, and records what it
// was built from.
func (st *state) store(ctx context.Context, s *scope) reconcile.Result {
	obj, name, version := s.Obj, st.chart.name, st.chart.version
	s.SetRevision(version)
	verb, reason := "packaged", sourcev1.ChartPackageSucceededReason
	if st.pulled() {
		verb, reason = "pulled", sourcev1.ChartPullSucceededReason
	}
	msg := fmt.Sprintf("%s '%s' chart with version '%s'", verb, name, version)
	n := sourcecontroller.NewArtifact{Reason: reason, Message: fmt.Sprintf("stored artifact: revision '%s'", version), Event: msg}
	if st.built.path != "" {
		n.Write = func(ctx context.Context, sto *storage.Storage) (fluxmeta.Artifact, error) {
			return sto.Copy(ctx, sourcev1.HelmChartKind, obj.Namespace, obj.Name, st.built.path, ".tgz", version, nil)
		}
	}
	if res := st.r.artifacts.Store(ctx, s, n); !res.IsDone() {
		return res
	}
	obj.Status.ObservedValuesFiles = st.built.valuesFiles
	obj.Status.ObservedChartName = name
	obj.Status.ObservedSourceArtifactRevision = st.sourceRevision()
	return reconcile.Done(reason, msg)
}

// fetchFailed reports a source or chart that cannot be fetched.
func (st *state) fetchFailed(obj *sourcev1.HelmChart, reason string, err error) reconcile.Result {
	return sourcecontroller.FetchFailed(obj, st.vanished, reason, err)
}

// buildFailed reports a chart that cannot be built.
func buildFailed(obj *sourcev1.HelmChart, reason string, err error) reconcile.Result {
	conditions.MarkTrue(obj, sourcev1.BuildFailedCondition, reason, err.Error())
	return reconcile.Transient(reason, err)
}
