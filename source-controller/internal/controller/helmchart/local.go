package helmchart

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"

	securejoin "github.com/cyphar/filepath-securejoin"
	"helm.sh/helm/v3/pkg/chartutil"

	fluxmeta "github.com/ferry-gitops/ferry/shared/api/meta"
	sourcev1 "github.com/ferry-gitops/ferry/shared/api/source/v1"
	"github.com/ferry-gitops/ferry/shared/artifact"
	"github.com/ferry-gitops/ferry/shared/runtime/reconcile"
	"github.com/ferry-gitops/ferry/source-controller/internal/helm/chart"
)

// packageFromArtifact downloads the source artifact, loads the chart directory at spec.chart
// with its dependencies, merges the values files, applies the reconcile strategy to the
// version and packages the chart, unless the stored artifact is that version already.
func (r *Reconciler) packageFromArtifact(ctx context.Context, s *reconcile.Scope[*sourcev1.HelmChart], src source, tmp string) (built, reconcile.Result) {
	obj := s.Obj
	a := src.obj.GetArtifact()
	root := filepath.Join(tmp, "source")
	limits := artifact.Limits{MaxFileSize: r.deps.Helm.ChartFileMaxSize}
	if err := artifact.Fetch(ctx, r.artifacts, a.URL, a.Digest, a.Size, root, limits); err != nil {
		return built{}, fetchFailed(obj, fluxmeta.ArtifactFailedReason,
			fmt.Errorf("failed to fetch the artifact of %s '%s': %w", obj.Spec.SourceRef.Kind, obj.Spec.SourceRef.Name, err))
	}
	chartFile, err := securejoin.SecureJoin(root, filepath.Join(obj.Spec.Chart, "Chart.yaml"))
	if err != nil {
		return built{}, buildFailed(obj, InvalidChartReferenceReason, fmt.Errorf("invalid chart path %q: %w", obj.Spec.Chart, err))
	}
	md, err := chartutil.LoadChartfile(chartFile)
	if err != nil {
		return built{}, buildFailed(obj, InvalidChartReferenceReason,
			fmt.Errorf("invalid chart reference: no chart at path %q in the artifact of %s '%s'", obj.Spec.Chart, obj.Spec.SourceRef.Kind, obj.Spec.SourceRef.Name))
	}
	version, res := r.strategyVersion(obj, src, md.Version)
	if !res.IsDone() {
		return built{}, res
	}
	if r.upToDate(obj, md.Name, version) {
		return built{name: md.Name, version: version, valuesFiles: obj.Status.ObservedValuesFiles}, reconcile.Result{}
	}
	ch, err := chart.LoadDir(ctx, root, obj.Spec.Chart, chart.LoadOptions{
		MaxFileSize: r.deps.Helm.ChartFileMaxSize, Fetch: r.fetchDependency(obj.Namespace, tmp)})
	if err != nil {
		return built{}, buildFailed(obj, DependencyBuildErrorReason, err)
	}
	b := built{name: ch.Name(), version: version}
	if len(obj.Spec.ValuesFiles) > 0 {
		values, used, err := chart.MergeFileValues(root, obj.Spec.ValuesFiles, obj.Spec.IgnoreMissingValuesFiles)
		if err != nil {
			return built{}, buildFailed(obj, ValuesFilesErrorReason, fmt.Errorf("failed to merge values files of chart '%s': %w", ch.Name(), err))
		}
		b.valuesFiles = used
		if err := chart.SetValues(ch, values); err != nil {
			return built{}, buildFailed(obj, ValuesFilesErrorReason, err)
		}
	}
	ch.Metadata.Version = version
	if b.path, err = chart.Package(ch, tmp); err != nil {
		return built{}, buildFailed(obj, ChartPackageErrorReason, err)
	}
	return b, reconcile.Result{}
}

// strategyVersion returns the artifact revision: the chart version, with the source
// revision's first 12 hex characters as build metadata under the Revision strategy.
func (r *Reconciler) strategyVersion(obj *sourcev1.HelmChart, src source, version string) (string, reconcile.Result) {
	if obj.Spec.ReconcileStrategy != sourcev1.ReconcileStrategyRevision {
		return version, reconcile.Result{}
	}
	rev := src.revision()
	if i := strings.LastIndexAny(rev, ":/"); i >= 0 {
		rev = rev[i+1:]
	}
	if len(rev) > 12 {
		rev = rev[:12]
	}
	v, err := chart.VersionWithMetadata(version, rev)
	if err != nil {
		return "", buildFailed(obj, ChartMetadataPatchErrorReason, err)
	}
	return v, reconcile.Result{}
}
