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
	sourcecontroller "github.com/ferry-gitops/ferry/source-controller/internal/controller"
	"github.com/ferry-gitops/ferry/source-controller/internal/helm/chart"
	"github.com/ferry-gitops/ferry/source-controller/internal/helm/index"
	"github.com/ferry-gitops/ferry/source-controller/internal/helm/repository"
)

// resolveFromIndex resolves the chart version from the repository's stored index.
func (st *state) resolveFromIndex(s *scope) reconcile.Result {
	obj := s.Obj
	idx, err := st.r.loadIndex(st.repo)
	if err != nil {
		return st.fetchFailed(obj, sourcev1.ReadOperationFailedReason, err)
	}
	v, err := idx.Get(obj.Spec.Chart, obj.Spec.Version)
	if err != nil {
		err = fmt.Errorf("invalid chart reference: %w (HelmRepository '%s')", err, st.repo.Name)
		if errors.Is(err, index.ErrInvalidConstraint) {
			return reconcile.Stalled(InvalidChartReferenceReason, err)
		}
		return buildFailed(obj, InvalidChartReferenceReason, err)
	}
	st.chart = resolved{name: v.Name, version: v.Version, entry: v}
	return reconcile.Result{}
}

// pullFromIndex downloads the resolved chart version with the repository's credentials and
// merges the values files.
func (st *state) pullFromIndex(ctx context.Context, s *scope) reconcile.Result {
	obj := s.Obj
	opts, err := sourcecontroller.HelmRepositoryOptions(ctx, st.r.secrets, st.repo)
	if err != nil {
		return st.fetchFailed(obj, sourcev1.AuthenticationFailedReason, err)
	}
	path, _, err := st.r.download(ctx, st.repo.Spec.URL, opts, st.chart.entry, st.tmp)
	if err != nil {
		reason := ChartPullErrorReason
		if errors.Is(err, repository.ErrUnauthorized) {
			reason = sourcev1.AuthenticationFailedReason
		}
		return buildFailed(obj, reason, err)
	}
	return st.withValues(obj, path)
}

// loadIndex returns the parsed index of the repository's stored artifact, shared by every
// chart that uses the same index.
func (r *Reconciler) loadIndex(repo *sourcev1.HelmRepository) (*index.Index, error) {
	a := repo.Status.Artifact
	return r.indexes.Get(a.Digest, func() (*index.Index, error) {
		f, err := os.Open(filepath.Join(r.artifacts.Storage().Path(), filepath.FromSlash(a.Path)))
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
	if _, err := c.FetchChart(ctx, v.URLs[0], f, r.limits.ChartMaxSize); err != nil {
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
