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
	sourcecontroller "github.com/ferry-gitops/ferry/source-controller/internal/controller"
	"github.com/ferry-gitops/ferry/source-controller/internal/helm/chart"
)

// resolveFromArtifact downloads the source artifact and reads the chart's name and version
// from Chart.yaml at spec.chart, with the reconcile strategy applied to the version.
func (st *state) resolveFromArtifact(ctx context.Context, s *scope) reconcile.Result {
	obj := s.Obj
	tmp, err := st.tempDir()
	if err != nil {
		return sourcecontroller.StorageFailed(obj, sourcev1.DirCreationFailedReason, err)
	}
	a := st.src.GetArtifact()
	root := filepath.Join(tmp, "source")
	limits := artifact.Limits{MaxFileSize: st.r.limits.ChartFileMaxSize}
	if err := artifact.Fetch(ctx, st.r.downloads, a.URL, a.Digest, a.Size, root, limits); err != nil {
		return st.fetchFailed(obj, fluxmeta.ArtifactFailedReason,
			fmt.Errorf("failed to fetch the artifact of %s '%s': %w", obj.Spec.SourceRef.Kind, obj.Spec.SourceRef.Name, err))
	}
	chartFile, err := securejoin.SecureJoin(root, filepath.Join(obj.Spec.Chart, "Chart.yaml"))
	if err != nil {
		return buildFailed(obj, InvalidChartReferenceReason, fmt.Errorf("invalid chart path %q: %w", obj.Spec.Chart, err))
	}
	md, err := chartutil.LoadChartfile(chartFile)
	if err != nil {
		return buildFailed(obj, InvalidChartReferenceReason,
			fmt.Errorf("invalid chart reference: no chart at path %q in the artifact of %s '%s'", obj.Spec.Chart, obj.Spec.SourceRef.Kind, obj.Spec.SourceRef.Name))
	}
	version, res := strategyVersion(obj, st.sourceRevision(), md.Version)
	if !res.IsDone() {
		return res
	}
	st.chart = resolved{name: md.Name, version: version, root: root}
	return reconcile.Result{}
}

// packageFromArtifact loads the chart directory at spec.chart with its dependencies, merges
// the values files, sets the resolved version and packages the chart.
func (st *state) packageFromArtifact(ctx context.Context, s *scope) reconcile.Result {
	obj, root := s.Obj, st.chart.root
	ch, err := chart.LoadDir(ctx, root, obj.Spec.Chart, chart.LoadOptions{
		MaxFileSize: st.r.limits.ChartFileMaxSize, Fetch: st.r.fetchDependency(obj.Namespace, st.tmp)})
	if err != nil {
		return buildFailed(obj, DependencyBuildErrorReason, err)
	}
	st.chart.name = ch.Name()
	if len(obj.Spec.ValuesFiles) > 0 {
		values, used, err := chart.MergeFileValues(root, obj.Spec.ValuesFiles, obj.Spec.IgnoreMissingValuesFiles)
		if err != nil {
			return buildFailed(obj, ValuesFilesErrorReason, fmt.Errorf("failed to merge values files of chart '%s': %w", ch.Name(), err))
		}
		st.built.valuesFiles = used
		if err := chart.SetValues(ch, values); err != nil {
			return buildFailed(obj, ValuesFilesErrorReason, err)
		}
	}
	ch.Metadata.Version = st.chart.version
	if st.built.path, err = chart.Package(ch, st.tmp); err != nil {
		return buildFailed(obj, ChartPackageErrorReason, err)
	}
	return reconcile.Result{}
}

// strategyVersion returns the artifact revision: the chart version, with the source
// revision's first 12 hex characters as build metadata under the Revision strategy.
func strategyVersion(obj *sourcev1.HelmChart, rev, version string) (string, reconcile.Result) {
	if obj.Spec.ReconcileStrategy != sourcev1.ReconcileStrategyRevision {
		return version, reconcile.Result{}
	}
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
