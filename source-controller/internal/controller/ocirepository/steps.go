package ocirepository

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/google/go-containerregistry/pkg/name"
	"k8s.io/apimachinery/pkg/api/equality"

	fluxmeta "github.com/ferry-gitops/ferry/shared/api/meta"
	sourcev1 "github.com/ferry-gitops/ferry/shared/api/source/v1"
	"github.com/ferry-gitops/ferry/shared/cloud"
	"github.com/ferry-gitops/ferry/shared/runtime/conditions"
	"github.com/ferry-gitops/ferry/shared/runtime/reconcile"
	sourcecontroller "github.com/ferry-gitops/ferry/source-controller/internal/controller"
	"github.com/ferry-gitops/ferry/source-controller/internal/ignore"
	"github.com/ferry-gitops/ferry/source-controller/internal/oci"
	"github.com/ferry-gitops/ferry/source-controller/internal/storage"
	"github.com/ferry-gitops/ferry/source-controller/internal/verify"
)

// copyExt is the extension of a layer stored as it is (operation copy).
const copyExt = ".tgz"

// checkStorage drops an artifact whose file vanished from the storage, so that it is pulled
// again, and re-stamps the URL of one that is there.
func (st *state) checkStorage(_ context.Context, s *scope) reconcile.Result {
	st.vanished = st.r.artifacts.Check(s)
	return reconcile.Done("", "")
}

// validate stalls on a spec that can never work: a bad URL or layer operation, unsupported
// verification, or a cloud provider with a Secret, or with a service account while the
// feature gate ObjectLevelWorkloadIdentity is off.
func (st *state) validate(_ context.Context, s *scope) reconcile.Result {
	obj := s.Obj
	repo, err := oci.ParseURL(obj.Spec.URL, obj.Spec.Insecure)
	if err != nil {
		return reconcile.Stalled(sourcev1.URLInvalidReason, err)
	}
	if op := obj.GetLayerOperation(); op != sourcev1.OCILayerExtract && op != sourcev1.OCILayerCopy {
		return reconcile.Stalled(fluxmeta.UnsupportedSpecReason, fmt.Errorf("layer operation '%s' is not supported: use extract or copy", op))
	}
	if err := sourcecontroller.CheckOCIVerification(sourcev1.OCIRepositoryKind, obj.Spec.Verify); err != nil {
		return reconcile.Stalled(fluxmeta.UnsupportedSpecReason, err)
	}
	spec := obj.Spec
	if err := cloud.CheckRegistrySpec(spec.Provider, repo.RegistryStr(), spec.ServiceAccountName, spec.SecretRef != nil, st.r.objectLevel); err != nil {
		return reconcile.Stalled(sourcev1.InvalidProviderConfigurationReason, err)
	}
	return reconcile.Done("", "")
}

// newClient builds the registry client from the referenced Secrets.
func (st *state) newClient(ctx context.Context, s *scope) reconcile.Result {
	cfg, err := st.r.clientConfig(ctx, s.Obj)
	if err == nil {
		st.client, err = oci.NewClient(cfg)
	}
	if err != nil {
		return st.fetchFailed(s.Obj, sourcev1.AuthenticationFailedReason, err)
	}
	return reconcile.Done("", "")
}

// resolve finds the revision spec.ref points at, and whether the stored artifact already
// holds it (then nothing is pulled).
func (st *state) resolve(ctx context.Context, s *scope) reconcile.Result {
	obj := s.Obj
	ctx, cancel := context.WithTimeout(ctx, obj.GetTimeout())
	defer cancel()
	res, err := st.client.Resolve(ctx, obj.Spec.URL, obj.Spec.Reference)
	if err != nil {
		return st.fetchFailed(obj, reasonFor(err), err)
	}
	st.resolved = res
	s.SetRevision(res.Revision)
	a := obj.Status.Artifact
	st.upToDate = a != nil && a.Revision == res.Revision &&
		equality.Semantic.DeepEqual(obj.Status.ObservedLayerSelector, obj.Spec.LayerSelector) &&
		equality.Semantic.DeepEqual(obj.Status.ObservedIgnore, obj.Spec.Ignore)
	return reconcile.Done("", "")
}

// verify checks the signature of the resolved digest as spec.verify asks, before anything of
// it is pulled; the digest verified is the digest pulled. An up-to-date artifact verified
// under the current spec is not checked again.
func (st *state) verify(ctx context.Context, s *scope) reconcile.Result {
	obj := s.Obj
	if obj.Spec.Verify == nil {
		conditions.Delete(obj, sourcev1.SourceVerifiedCondition)
		return reconcile.Done("", "")
	}
	if st.upToDate && sourcecontroller.VerifiedAt(obj) {
		return reconcile.Done("", "")
	}
	ref, err := name.NewDigest(st.resolved.Repository+"@"+st.resolved.Digest, st.client.NameOptions()...)
	if err != nil {
		return st.fetchFailed(obj, sourcev1.OCIPullFailedReason, fmt.Errorf("failed to parse reference %s@%s: %w", st.resolved.Repository, st.resolved.Digest, err))
	}
	ctx, cancel := context.WithTimeout(ctx, obj.GetTimeout())
	defer cancel()
	return sourcecontroller.VerifyOCIArtifact(ctx, st.r.secrets, obj, obj.Spec.Verify, st.resolved.Revision, ref,
		verify.Registry{Remote: st.client.RemoteOptions(), Name: st.client.NameOptions()})
}

// pull fetches the selected layer of the resolved manifest into a temporary directory,
// unless the stored artifact is up to date.
func (st *state) pull(ctx context.Context, s *scope) reconcile.Result {
	if st.upToDate {
		return reconcile.Done("", "")
	}
	obj := s.Obj
	tmp, err := os.MkdirTemp("", "ocirepository-")
	if err != nil {
		return sourcecontroller.StorageFailed(obj, sourcev1.DirCreationFailedReason, fmt.Errorf("failed to create a temporary directory: %w", err))
	}
	st.cleanup = append(st.cleanup, func() { _ = os.RemoveAll(tmp) })
	st.pulled = filepath.Join(tmp, "content")
	if obj.GetLayerOperation() == sourcev1.OCILayerCopy {
		st.pulled = filepath.Join(tmp, "layer"+copyExt)
	}
	ctx, cancel := context.WithTimeout(ctx, obj.GetTimeout())
	defer cancel()
	pulled, err := st.client.Pull(ctx, st.resolved, obj.GetLayerMediaType(), obj.GetLayerOperation(), st.pulled)
	if err != nil {
		return st.fetchFailed(obj, reasonFor(err), err)
	}
	st.metadata = pulled.Metadata
	conditions.Delete(obj, sourcev1.FetchFailedCondition)
	return reconcile.Done("", "")
}

// fetchFailed marks FetchFailed and returns the failure: a spec that can never resolve
// stalls, anything else is retried.
func (st *state) fetchFailed(obj *sourcev1.OCIRepository, reason string, err error) reconcile.Result {
	res := sourcecontroller.FetchFailed(obj, st.vanished, reason, err)
	if errors.Is(err, oci.ErrInvalid) {
		return reconcile.Stalled(reason, res.Err)
	}
	return res
}

// reasonFor picks the condition reason of a registry failure.
func reasonFor(err error) string {
	switch {
	case errors.Is(err, oci.ErrAuth):
		return sourcev1.AuthenticationFailedReason
	case errors.Is(err, oci.ErrLayer):
		return sourcev1.OCILayerOperationFailedReason
	}
	return sourcev1.OCIPullFailedReason
}

// store archives (extract) or copies (copy) the pulled content into the storage and records
// it in the status with the layer selector and ignore rules it was built with; an up-to-date
// artifact is left as it is.
func (st *state) store(ctx context.Context, s *scope) reconcile.Result {
	obj := s.Obj
	rev := st.resolved.Revision
	n := sourcecontroller.NewArtifact{Message: fmt.Sprintf("stored artifact for digest '%s'", rev)}
	if !st.upToDate {
		n.Write = func(ctx context.Context, sto *storage.Storage) (fluxmeta.Artifact, error) {
			a, err := st.write(ctx, sto, obj)
			if err != nil {
				return a, fmt.Errorf("failed to store the artifact of revision '%s': %w", rev, err)
			}
			return a, nil
		}
		n.Event = fmt.Sprintf("stored artifact with revision '%s' from '%s'", rev, obj.Spec.URL)
	}
	res := st.r.artifacts.Store(ctx, s, n)
	if res.IsDone() {
		obj.Status.ObservedLayerSelector = obj.Spec.LayerSelector.DeepCopy()
		obj.Status.ObservedIgnore = obj.Spec.Ignore
	}
	return res
}

// write copies the pulled layer (operation copy) or archives the pulled directory less what
// the ignore rules leave out (operation extract) into sto.
func (st *state) write(ctx context.Context, sto *storage.Storage, obj *sourcev1.OCIRepository) (fluxmeta.Artifact, error) {
	rev := st.resolved.Revision
	if obj.GetLayerOperation() == sourcev1.OCILayerCopy {
		return sto.Copy(ctx, sourcev1.OCIRepositoryKind, obj.Namespace, obj.Name, st.pulled, copyExt, rev, st.metadata)
	}
	m, err := ignore.New(st.pulled, obj.Spec.Ignore, ignore.Options{})
	if err != nil {
		return fluxmeta.Artifact{}, err
	}
	return sto.Archive(ctx, sourcev1.OCIRepositoryKind, obj.Namespace, obj.Name, st.pulled, rev, m.Exclude, st.metadata)
}
