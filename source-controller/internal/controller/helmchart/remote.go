package helmchart

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	helmchart "helm.sh/helm/v3/pkg/chart"

	sourcev1 "github.com/ferry-gitops/ferry/shared/api/source/v1"
	"github.com/ferry-gitops/ferry/shared/runtime/reconcile"
	"github.com/ferry-gitops/ferry/source-controller/internal/controller/helmrepository"
	"github.com/ferry-gitops/ferry/source-controller/internal/helm/chart"
	"github.com/ferry-gitops/ferry/source-controller/internal/helm/index"
	"github.com/ferry-gitops/ferry/source-controller/internal/helm/repository"
)

// pullFromIndex resolves the chart version from the repository's stored index, downloads it
// unless the stored artifact is that version already, and merges the values files.
func (r *Reconciler) pullFromIndex(ctx context.Context, s *reconcile.Scope[*sourcev1.HelmChart],
	repo *sourcev1.HelmRepository, tmp string) (built, reconcile.Result) {
	obj := s.Obj
	idx, err := r.loadIndex(repo)
	if err != nil {
		return built{}, fetchFailed(obj, sourcev1.ReadOperationFailedReason, err)
	}
	v, err := idx.Get(obj.Spec.Chart, obj.Spec.Version)
	if err != nil {
		return built{}, invalidReference(obj, repo, err)
	}
	if r.upToDate(obj, v.Name, v.Version) {
		return built{name: v.Name, version: v.Version, valuesFiles: obj.Status.ObservedValuesFiles, pulled: true}, reconcile.Result{}
	}
	opts, err := helmrepository.Options(ctx, r.secrets, repo)
	if err != nil {
		return built{}, fetchFailed(obj, sourcev1.AuthenticationFailedReason, err)
	}
	path, _, err := r.download(ctx, repo.Spec.URL, opts, v, tmp)
	if err != nil {
		reason := ChartPullErrorReason
		if errors.Is(err, repository.ErrUnauthorized) {
			reason = sourcev1.AuthenticationFailedReason
		}
		return built{}, buildFailed(obj, reason, err)
	}
	return r.withValues(obj, path, tmp)
}

// invalidReference reports a chart or version missing from the index; an invalid version
// range stalls, as only a spec change mends it.
func invalidReference(obj *sourcev1.HelmChart, repo *sourcev1.HelmRepository, err error) reconcile.Result {
	err = fmt.Errorf("invalid chart reference: %w (HelmRepository '%s')", err, repo.Name)
	if errors.Is(err, index.ErrInvalidConstraint) {
		return reconcile.Stalled(InvalidChartReferenceReason, err)
	}
	return buildFailed(obj, InvalidChartReferenceReason, err)
}

// loadIndex returns the parsed index of the repository's stored artifact, shared by every
// chart that uses the same index.
func (r *Reconciler) loadIndex(repo *sourcev1.HelmRepository) (*index.Index, error) {
	a := repo.Status.Artifact
	return r.indexes.Get(a.Digest, func() (*index.Index, error) {
		f, err := os.Open(filepath.Join(r.deps.Storage.Path(), filepath.FromSlash(a.Path)))
		if err != nil {
			return nil, fmt.Errorf("failed to read the index of HelmRepository '%s/%s' from storage: %w", repo.Namespace, repo.Name, err)
		}
		defer f.Close()
		return index.Parse(f)
	})
}

// download fetches a chart version into tmp and loads it.
func (r *Reconciler) download(ctx context.Context, repoURL string, opts repository.Options, v index.Version, tmp string) (string, *helmchart.Chart, error) {
	if len(v.URLs) == 0 {
		return "", nil, fmt.Errorf("chart '%s' version %s has no download URL in the index", v.Name, v.Version)
	}
	c, err := repository.NewClient(repoURL, opts)
	if err != nil {
		return "", nil, err
	}
	defer c.Close()
	f, err := os.CreateTemp(tmp, "pulled-*.tgz")
	if err != nil {
		return "", nil, fmt.Errorf("failed to create temporary file: %w", err)
	}
	defer f.Close()
	if opts.Timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, opts.Timeout)
		defer cancel()
	}
	if _, err := c.FetchChart(ctx, v.URLs[0], f, r.deps.Helm.ChartMaxSize); err != nil {
		return "", nil, fmt.Errorf("failed to pull chart '%s' version %s: %w", v.Name, v.Version, err)
	}
	if err := f.Close(); err != nil {
		return "", nil, fmt.Errorf("failed to write chart: %w", err)
	}
	ch, err := chart.LoadArchive(f.Name())
	if err != nil {
		return "", nil, fmt.Errorf("chart '%s' version %s: %w", v.Name, v.Version, err)
	}
	if ch.Name() != v.Name {
		return "", nil, fmt.Errorf("chart '%s' version %s: the downloaded chart is named '%s'", v.Name, v.Version, ch.Name())
	}
	return f.Name(), ch, nil
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
