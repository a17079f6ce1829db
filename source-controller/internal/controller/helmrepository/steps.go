package helmrepository

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"

	fluxmeta "github.com/ferry-gitops/ferry/shared/api/meta"
	sourcev1 "github.com/ferry-gitops/ferry/shared/api/source/v1"
	"github.com/ferry-gitops/ferry/shared/runtime/conditions"
	"github.com/ferry-gitops/ferry/shared/runtime/reconcile"
	sourcecontroller "github.com/ferry-gitops/ferry/source-controller/internal/controller"
	"github.com/ferry-gitops/ferry/source-controller/internal/helm/index"
	"github.com/ferry-gitops/ferry/source-controller/internal/helm/repository"
	"github.com/ferry-gitops/ferry/source-controller/internal/storage"
)

// ociReadyMessage is the Ready message of a repository of type oci.
const ociReadyMessage = "Helm repository is Ready: an OCI repository has no index artifact; charts are pulled from the registry"

// checkStorage drops an artifact whose file vanished from the storage, so that it is fetched
// again, and re-stamps the URL of one that is there.
func (st *state) checkStorage(_ context.Context, s *scope) reconcile.Result {
	st.vanished = st.r.artifacts.Check(s)
	return reconcile.Result{}
}

// validate stalls on a URL that does not fit the repository's type (http(s) for type
// default, oci://<registry>/<path> for type oci), and on a spec.provider that cannot be used.
func (st *state) validate(_ context.Context, s *scope) reconcile.Result {
	obj := s.Obj
	if !obj.IsOCI() {
		if _, err := repository.ParseURL(obj.Spec.URL); err != nil {
			conditions.MarkTrue(obj, sourcev1.FetchFailedCondition, sourcev1.URLInvalidReason, err.Error())
			return reconcile.Stalled(sourcev1.URLInvalidReason, err)
		}
		if err := providerError(obj); err != nil {
			return reconcile.Stalled(sourcev1.InvalidProviderConfigurationReason, err)
		}
		return reconcile.Result{}
	}
	u, err := url.Parse(obj.Spec.URL)
	if err == nil && (u.Scheme != "oci" || u.Host == "") {
		err = fmt.Errorf("invalid OCI repository URL %q: expected oci://<registry>/<path>", obj.Spec.URL)
	}
	if err != nil {
		return reconcile.Stalled(sourcev1.URLInvalidReason, err)
	}
	if err := providerError(obj); err != nil {
		return reconcile.Stalled(sourcev1.InvalidProviderConfigurationReason, err)
	}
	return reconcile.Result{}
}

// oci ends the work for a repository of type oci, which has no artifact: its charts are
// listed and pulled from the registry by the HelmCharts that use it. Artifacts left from an
// earlier type default are removed.
func (st *state) oci(ctx context.Context, s *scope) reconcile.Result {
	obj := s.Obj
	if !obj.IsOCI() {
		return reconcile.Result{}
	}
	if err := st.r.artifacts.Remove(ctx, obj); err != nil {
		return sourcecontroller.StorageFailed(obj, sourcev1.ArchiveOperationFailedReason, err)
	}
	return reconcile.Done(fluxmeta.SucceededReason, ociReadyMessage)
}

// credentials reads the Secrets of spec.secretRef and spec.certSecretRef into the client
// settings.
func (st *state) credentials(ctx context.Context, s *scope) reconcile.Result {
	obj := s.Obj
	if obj.IsOCI() {
		return reconcile.Result{}
	}
	var err error
	if st.opts, err = sourcecontroller.HelmRepositoryOptions(ctx, st.r.secrets, obj); err != nil {
		return sourcecontroller.FetchFailed(obj, false, sourcev1.AuthenticationFailedReason, err)
	}
	return reconcile.Result{}
}

// fetch downloads index.yaml into a temporary file, within spec.timeout and the size limit,
// and tells whether the stored artifact already is that index.
func (st *state) fetch(ctx context.Context, s *scope) reconcile.Result {
	obj := s.Obj
	if obj.IsOCI() {
		return reconcile.Result{}
	}
	c, err := repository.NewClient(obj.Spec.URL, st.opts)
	if err != nil {
		conditions.MarkTrue(obj, sourcev1.FetchFailedCondition, sourcev1.URLInvalidReason, err.Error())
		return reconcile.Stalled(sourcev1.URLInvalidReason, err)
	}
	defer c.Close()
	if st.fetched, err = os.CreateTemp("", "ferry-helm-index-*.yaml"); err != nil {
		return sourcecontroller.StorageFailed(obj, sourcev1.ReadOperationFailedReason, fmt.Errorf("failed to create temporary file: %w", err))
	}
	ctx, cancel := context.WithTimeout(ctx, obj.GetTimeout())
	defer cancel()
	if st.digest, _, err = c.FetchIndex(ctx, st.fetched, st.r.indexMaxSize); err != nil {
		reason := sourcev1.IndexationFailedReason
		if errors.Is(err, repository.ErrUnauthorized) {
			reason = sourcev1.AuthenticationFailedReason
		}
		return sourcecontroller.FetchFailed(obj, st.vanished, reason, err)
	}
	s.SetRevision(st.digest)
	st.upToDate = obj.Status.Artifact != nil && obj.Status.Artifact.Digest == st.digest
	return reconcile.Result{}
}

// parse checks the fetched index, unless the stored artifact is that index (it was checked
// when it was stored).
func (st *state) parse(_ context.Context, s *scope) reconcile.Result {
	obj := s.Obj
	if obj.IsOCI() || st.upToDate {
		return reconcile.Result{}
	}
	if _, err := st.fetched.Seek(0, io.SeekStart); err != nil {
		return sourcecontroller.StorageFailed(obj, sourcev1.ReadOperationFailedReason, fmt.Errorf("failed to read fetched index: %w", err))
	}
	idx, err := index.Parse(st.fetched)
	if err != nil {
		return sourcecontroller.FetchFailed(obj, st.vanished, sourcev1.IndexationFailedReason, err)
	}
	st.idx = idx
	conditions.Delete(obj, sourcev1.FetchFailedCondition)
	return reconcile.Result{}
}

// store copies the fetched index into the storage unless the stored artifact is that index,
// and hands the parsed index to the HelmCharts' cache.
func (st *state) store(ctx context.Context, s *scope) reconcile.Result {
	obj := s.Obj
	if obj.IsOCI() {
		return reconcile.Result{}
	}
	n := sourcecontroller.NewArtifact{Message: fmt.Sprintf("stored artifact: revision '%s'", st.digest)}
	if !st.upToDate {
		n.Write = func(ctx context.Context, sto *storage.Storage) (fluxmeta.Artifact, error) {
			return sto.Copy(ctx, sourcev1.HelmRepositoryKind, obj.Namespace, obj.Name, st.fetched.Name(), ".yaml", st.digest, nil)
		}
		n.Event = fmt.Sprintf("stored fetched index of %d charts (%d versions) from '%s'", len(st.idx.Charts()), st.idx.Len(), obj.Spec.URL)
	}
	res := st.r.artifacts.Store(ctx, s, n)
	if res.IsDone() && st.idx != nil {
		st.r.indexes.Put(obj.Status.Artifact.Digest, st.idx)
	}
	return res
}
