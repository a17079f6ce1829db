package helmchart

import (
	"context"
	"errors"
	"fmt"
	"os"

	sourcev1 "github.com/ferry-gitops/ferry/shared/api/source/v1"
	"github.com/ferry-gitops/ferry/shared/runtime/reconcile"
	sourcectrl "github.com/ferry-gitops/ferry/source-controller/internal/controller"
	"github.com/ferry-gitops/ferry/source-controller/internal/controller/helmrepository"
	"github.com/ferry-gitops/ferry/source-controller/internal/helm/chart"
	"github.com/ferry-gitops/ferry/source-controller/internal/helm/index"
	"github.com/ferry-gitops/ferry/source-controller/internal/helm/registry"
)

// pullOCI resolves the chart version among the tags of <repository URL>/<chart> and pulls it
// unless the stored artifact is that version already.
func (r *Reconciler) pullOCI(ctx context.Context, s *reconcile.Scope[*sourcev1.HelmChart], repo *sourcev1.HelmRepository, tmp string) (built, reconcile.Result) {
	obj := s.Obj
	opts, err := helmrepository.RegistryOptions(ctx, r.secrets, repo)
	if err != nil {
		return built{}, fetchFailed(obj, sourcev1.AuthenticationFailedReason, err)
	}
	c, err := registry.NewClient(repo.Spec.URL, opts)
	if err != nil {
		return built{}, reconcile.Stalled(sourcev1.URLInvalidReason, err)
	}
	defer c.Close()
	ctx, cancel := context.WithTimeout(ctx, repo.GetTimeout())
	defer cancel()
	tags, err := c.Tags(ctx, obj.Spec.Chart)
	if err != nil {
		return built{}, fetchFailed(obj, pullReason(err), err)
	}
	tag, version, err := registry.ResolveTag(tags, obj.Spec.Version)
	if err != nil {
		err = fmt.Errorf("invalid chart reference: %s: %w", c.Ref(obj.Spec.Chart), err)
		if errors.Is(err, index.ErrInvalidConstraint) {
			return built{}, reconcile.Stalled(InvalidChartReferenceReason, err)
		}
		return built{}, buildFailed(obj, InvalidChartReferenceReason, err)
	}
	if r.upToDate(obj, obj.Spec.Chart, version) {
		return built{name: obj.Spec.Chart, version: version, valuesFiles: obj.Status.ObservedValuesFiles, pulled: true}, reconcile.Result{}
	}
	f, err := os.CreateTemp(tmp, "pulled-*.tgz")
	if err != nil {
		return built{}, sourcectrl.StorageFailed(obj, sourcev1.DirCreationFailedReason, err)
	}
	defer f.Close()
	if _, err := c.Pull(ctx, obj.Spec.Chart, tag, f, r.deps.Helm.ChartMaxSize); err != nil {
		return built{}, buildFailed(obj, pullReason(err), err)
	}
	if err := f.Close(); err != nil {
		return built{}, sourcectrl.StorageFailed(obj, sourcev1.ArchiveOperationFailedReason, err)
	}
	return r.withValues(obj, f.Name(), tmp)
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
func (r *Reconciler) withValues(obj *sourcev1.HelmChart, path, tmp string) (built, reconcile.Result) {
	ch, err := chart.LoadArchive(path)
	if err != nil {
		return built{}, buildFailed(obj, ChartPullErrorReason, err)
	}
	if ch.Name() != obj.Spec.Chart {
		return built{}, buildFailed(obj, ChartPullErrorReason, fmt.Errorf("the pulled chart is named '%s', not '%s'", ch.Name(), obj.Spec.Chart))
	}
	b := built{path: path, name: ch.Name(), version: ch.Metadata.Version, pulled: true}
	if len(obj.Spec.ValuesFiles) == 0 {
		return b, reconcile.Result{}
	}
	values, used, err := chart.MergeChartValues(ch, obj.Spec.ValuesFiles, obj.Spec.IgnoreMissingValuesFiles)
	if err != nil {
		return built{}, buildFailed(obj, ValuesFilesErrorReason, fmt.Errorf("failed to merge values files of chart '%s': %w", ch.Name(), err))
	}
	b.valuesFiles = used
	if b.path, err = repackage(ch, values, tmp); err != nil {
		return built{}, buildFailed(obj, ChartPackageErrorReason, err)
	}
	return b, reconcile.Result{}
}
