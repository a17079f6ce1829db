package helmchart

import (
	"context"
	"errors"
	"fmt"
	"os"

	helmchart "helm.sh/helm/v3/pkg/chart"

	sourcev1 "github.com/ferry-gitops/ferry/shared/api/source/v1"
	"github.com/ferry-gitops/ferry/shared/cloud"
	"github.com/ferry-gitops/ferry/shared/runtime/reconcile"
	sourcecontroller "github.com/ferry-gitops/ferry/source-controller/internal/controller"
	"github.com/ferry-gitops/ferry/source-controller/internal/helm/chart"
	"github.com/ferry-gitops/ferry/source-controller/internal/helm/index"
	"github.com/ferry-gitops/ferry/source-controller/internal/helm/registry"
)

// resolveFromRegistry resolves the chart version among the tags of <repository URL>/<chart>.
func (st *state) resolveFromRegistry(ctx context.Context, s *scope) reconcile.Result {
	obj := s.Obj
	repo := st.repo
	sa, err := cloud.ObjectServiceAccount(ctx, st.r.secrets, st.r.rt.Client, repo.Spec.Provider, repo.Namespace,
		cloud.ServiceAccountName(repo.Spec.Provider, "", st.r.defaultSA))
	if err != nil {
		return st.fetchFailed(obj, sourcev1.AuthenticationFailedReason, err)
	}
	opts, err := sourcecontroller.HelmRegistryOptions(ctx, st.r.secrets, st.r.tokens, repo, sa)
	if err != nil {
		return st.fetchFailed(obj, sourcev1.AuthenticationFailedReason, err)
	}
	if st.oci, err = registry.NewClient(st.repo.Spec.URL, opts); err != nil {
		return reconcile.Stalled(sourcev1.URLInvalidReason, err)
	}
	ctx, cancel := context.WithTimeout(ctx, st.repo.GetTimeout())
	defer cancel()
	tags, err := st.oci.Tags(ctx, obj.Spec.Chart)
	if err != nil {
		return st.fetchFailed(obj, pullReason(err), err)
	}
	tag, version, err := registry.ResolveTag(tags, obj.Spec.Version)
	if err != nil {
		err = fmt.Errorf("invalid chart reference: %s: %w", st.oci.Ref(obj.Spec.Chart), err)
		if errors.Is(err, index.ErrInvalidConstraint) {
			return reconcile.Stalled(InvalidChartReferenceReason, err)
		}
		return buildFailed(obj, InvalidChartReferenceReason, err)
	}
	st.chart = resolved{name: obj.Spec.Chart, version: version, tag: tag}
	return reconcile.Result{}
}

// pullFromRegistry pulls the resolved tag and merges the values files.
func (st *state) pullFromRegistry(ctx context.Context, s *scope) reconcile.Result {
	obj := s.Obj
	f, err := os.CreateTemp(st.tmp, "pulled-*.tgz")
	if err != nil {
		return sourcecontroller.StorageFailed(obj, sourcev1.DirCreationFailedReason, err)
	}
	defer f.Close()
	ctx, cancel := context.WithTimeout(ctx, st.repo.GetTimeout())
	defer cancel()
	ref := st.chart.tag
	if st.chart.digest != "" {
		ref = st.chart.digest // the digest whose signature was verified
	}
	if _, err := st.oci.Pull(ctx, obj.Spec.Chart, ref, f, st.r.limits.ChartMaxSize); err != nil {
		return buildFailed(obj, pullReason(err), err)
	}
	if err := f.Close(); err != nil {
		return sourcecontroller.StorageFailed(obj, sourcev1.ArchiveOperationFailedReason, err)
	}
	return st.withValues(obj, f.Name())
}

// pullReason is the condition reason of a failed registry operation.
func pullReason(err error) string {
	if errors.Is(err, registry.ErrUnauthorized) {
		return sourcev1.AuthenticationFailedReason
	}
	return ChartPullErrorReason
}

// withValues loads a pulled chart and, when spec.valuesFiles is set, merges them into it and
// packages it again.
func (st *state) withValues(obj *sourcev1.HelmChart, path string) reconcile.Result {
	ch, err := chart.LoadArchive(path)
	if err != nil {
		return buildFailed(obj, ChartPullErrorReason, err)
	}
	if ch.Name() != obj.Spec.Chart {
		return buildFailed(obj, ChartPullErrorReason, fmt.Errorf("the pulled chart is named '%s', not '%s'", ch.Name(), obj.Spec.Chart))
	}
	st.chart.name, st.chart.version = ch.Name(), ch.Metadata.Version
	st.built = built{path: path}
	if len(obj.Spec.ValuesFiles) == 0 {
		return reconcile.Result{}
	}
	values, used, err := chart.MergeChartValues(ch, obj.Spec.ValuesFiles, obj.Spec.IgnoreMissingValuesFiles)
	if err != nil {
		return buildFailed(obj, ValuesFilesErrorReason, fmt.Errorf("failed to merge values files of chart '%s': %w", ch.Name(), err))
	}
	st.built.valuesFiles = used
	if st.built.path, err = repackage(ch, values, st.tmp); err != nil {
		return buildFailed(obj, ChartPackageErrorReason, err)
	}
	return reconcile.Result{}
}

// repackage makes values the chart's values and packages it into a new directory of tmp.
func repackage(ch *helmchart.Chart, values map[string]any, tmp string) (string, error) {
	if err := chart.SetValues(ch, values); err != nil {
		return "", err
	}
	out, err := os.MkdirTemp(tmp, "package-")
	if err != nil {
		return "", fmt.Errorf("failed to create temporary directory: %w", err)
	}
	return chart.Package(ch, out)
}
