package helmchart

import (
	"context"
	"fmt"
	"os"
	"strings"

	helmchart "helm.sh/helm/v3/pkg/chart"
	"sigs.k8s.io/controller-runtime/pkg/client"

	sourcev1 "github.com/ferry-gitops/ferry/shared/api/source/v1"
	sourcecontroller "github.com/ferry-gitops/ferry/source-controller/internal/controller"
	"github.com/ferry-gitops/ferry/source-controller/internal/helm/chart"
	"github.com/ferry-gitops/ferry/source-controller/internal/helm/index"
	"github.com/ferry-gitops/ferry/source-controller/internal/helm/repository"
)

// fetchDependency resolves the remote dependencies of a chart directory. A HelmRepository of
// the chart's namespace with the same URL lends its stored index and credentials; any other
// repository is read anonymously.
func (r *Reconciler) fetchDependency(namespace, tmp string) chart.DependencyFetcher {
	return func(ctx context.Context, repoURL, name, versionRange string) (*helmchart.Chart, error) {
		if strings.HasPrefix(repoURL, "oci://") {
			return nil, fmt.Errorf("OCI dependencies are not supported: vendor the chart in charts/")
		}
		repo, err := r.repositoryFor(ctx, namespace, repoURL)
		if err != nil {
			return nil, err
		}
		var idx *index.Index
		var opts repository.Options
		if repo != nil {
			if opts, err = sourcecontroller.HelmRepositoryOptions(ctx, r.secrets, repo); err == nil {
				idx, err = r.loadIndex(repo)
			}
		} else {
			idx, err = r.fetchIndex(ctx, repoURL, tmp)
		}
		if err != nil {
			return nil, err
		}
		v, err := idx.Get(name, versionRange)
		if err != nil {
			return nil, err
		}
		_, ch, err := r.download(ctx, repoURL, opts, v, tmp)
		return ch, err
	}
}

// repositoryFor returns the HelmRepository of the namespace with the given URL and an
// artifact, or nil.
func (r *Reconciler) repositoryFor(ctx context.Context, namespace, repoURL string) (*sourcev1.HelmRepository, error) {
	var list sourcev1.HelmRepositoryList
	if err := r.rt.Client.List(ctx, &list, client.InNamespace(namespace)); err != nil {
		return nil, fmt.Errorf("failed to list HelmRepositories: %w", err)
	}
	want := strings.TrimSuffix(repoURL, "/")
	for i := range list.Items {
		repo := &list.Items[i]
		if !repo.IsOCI() && strings.TrimSuffix(repo.Spec.URL, "/") == want && repo.Status.Artifact != nil {
			return repo, nil
		}
	}
	return nil, nil
}

// fetchIndex downloads and parses the index of a repository without credentials.
func (r *Reconciler) fetchIndex(ctx context.Context, repoURL, tmp string) (*index.Index, error) {
	c, err := repository.NewClient(repoURL, repository.Options{})
	if err != nil {
		return nil, err
	}
	defer c.Close()
	f, err := os.CreateTemp(tmp, "index-*.yaml")
	if err != nil {
		return nil, fmt.Errorf("failed to create temporary file: %w", err)
	}
	defer f.Close()
	if _, _, err := c.FetchIndex(ctx, f, r.limits.IndexMaxSize); err != nil {
		return nil, err
	}
	if _, err := f.Seek(0, 0); err != nil {
		return nil, fmt.Errorf("failed to read the fetched index: %w", err)
	}
	return index.Parse(f)
}
