package helmchart

import (
	"context"
	"fmt"
	"os"
	"slices"

	corev1 "k8s.io/api/core/v1"

	sourcev1 "github.com/ferry-gitops/ferry/shared/api/source/v1"
	"github.com/ferry-gitops/ferry/shared/runtime/conditions"
	"github.com/ferry-gitops/ferry/shared/runtime/reconcile"
	sourcectrl "github.com/ferry-gitops/ferry/source-controller/internal/controller"
)

// built is the outcome of resolving a chart.
type built struct {
	// path is the packaged chart to store; empty when the stored artifact is up to date.
	path string
	// name and version are the chart's; version is the artifact revision.
	name, version string
	// valuesFiles are the values files merged into the chart.
	valuesFiles []string
	// pulled is true for a chart pulled from a repository, false for one packaged from a
	// directory.
	pulled bool
}

// reconcile resolves the chart from its source and stores it.
func (r *Reconciler) reconcile(ctx context.Context, s *reconcile.Scope[*sourcev1.HelmChart]) reconcile.Result {
	src, res := r.getSource(ctx, s.Obj)
	if !res.IsDone() {
		return res
	}
	tmp, err := os.MkdirTemp("", "ferry-helmchart-")
	if err != nil {
		return sourcectrl.StorageFailed(s.Obj, sourcev1.DirCreationFailedReason, fmt.Errorf("failed to create temporary directory: %w", err))
	}
	defer os.RemoveAll(tmp)
	var b built
	switch {
	case src.repo != nil && src.repo.IsOCI():
		b, res = r.pullOCI(ctx, s, src.repo, tmp)
	case src.repo != nil:
		b, res = r.pullFromIndex(ctx, s, src.repo, tmp)
	default:
		b, res = r.packageFromArtifact(ctx, s, src, tmp)
	}
	if !res.IsDone() {
		return res
	}
	conditions.Delete(s.Obj, sourcev1.FetchFailedCondition)
	conditions.Delete(s.Obj, sourcev1.BuildFailedCondition)
	return r.store(ctx, s, src, b)
}

// upToDate reports whether the stored artifact already is this chart version built with
// these values files from an unchanged spec, so nothing needs to be pulled or packaged. After
// a spec change or a failed build the chart is always built again.
func (r *Reconciler) upToDate(obj *sourcev1.HelmChart, name, version string) bool {
	a := obj.Status.Artifact
	if a == nil || obj.Generation != obj.Status.ObservedGeneration ||
		conditions.IsTrue(obj, sourcev1.BuildFailedCondition) || conditions.IsTrue(obj, sourcev1.FetchFailedCondition) {
		return false
	}
	return a.Revision == version && obj.Status.ObservedChartName == name &&
		slices.Equal(obj.Status.ObservedValuesFiles, obj.Spec.ValuesFiles) && r.deps.Storage.Exists(*a)
}

// store stores the built chart unless the stored artifact has the same content, and records
// what was built.
func (r *Reconciler) store(ctx context.Context, s *reconcile.Scope[*sourcev1.HelmChart], src source, b built) reconcile.Result {
	obj := s.Obj
	s.SetRevision(b.version)
	verb, reason := "packaged", sourcev1.ChartPackageSucceededReason
	if b.pulled {
		verb, reason = "pulled", sourcev1.ChartPullSucceededReason
	}
	msg := fmt.Sprintf("%s '%s' chart with version '%s'", verb, b.name, b.version)
	if b.path != "" {
		unlock, err := r.deps.Storage.Lock(ctx, sourcev1.HelmChartKind, obj.Namespace, obj.Name)
		if err != nil {
			return sourcectrl.StorageFailed(obj, sourcev1.AcquireLockFailedReason, err)
		}
		defer unlock()
		a, err := r.deps.Storage.Copy(ctx, sourcev1.HelmChartKind, obj.Namespace, obj.Name, b.path, ".tgz", b.version, nil)
		if err != nil {
			return sourcectrl.StorageFailed(obj, sourcev1.ArchiveOperationFailedReason, err)
		}
		if cur := obj.Status.Artifact; cur == nil || cur.Digest != a.Digest || cur.Revision != a.Revision {
			obj.Status.Artifact = &a
			s.Event(corev1.EventTypeNormal, sourcev1.NewArtifactEventReason, msg)
		}
		if _, err := r.deps.Storage.GarbageCollect(ctx, sourcev1.HelmChartKind, obj.Namespace, obj.Name, *obj.Status.Artifact); err != nil {
			s.Log.Error(err, "failed to garbage collect older artifacts")
		}
		obj.Status.ObservedValuesFiles = b.valuesFiles
	}
	obj.Status.URL = obj.Status.Artifact.URL
	obj.Status.ObservedChartName = b.name
	obj.Status.ObservedSourceArtifactRevision = src.revision()
	conditions.Delete(obj, sourcev1.StorageOperationFailedCondition)
	conditions.MarkTrue(obj, sourcev1.ArtifactInStorageCondition, reason, fmt.Sprintf("stored artifact: revision '%s'", b.version))
	return reconcile.Done(reason, msg)
}

// fetchFailed reports a source or chart that cannot be fetched.
func fetchFailed(obj *sourcev1.HelmChart, reason string, err error) reconcile.Result {
	conditions.MarkTrue(obj, sourcev1.FetchFailedCondition, reason, err.Error())
	return reconcile.Transient(reason, err)
}

// buildFailed reports a chart that cannot be built.
func buildFailed(obj *sourcev1.HelmChart, reason string, err error) reconcile.Result {
	conditions.MarkTrue(obj, sourcev1.BuildFailedCondition, reason, err.Error())
	return reconcile.Transient(reason, err)
}
