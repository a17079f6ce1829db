package helmrepository

import (
	"context"
	"errors"
	"fmt"
	"os"

	corev1 "k8s.io/api/core/v1"

	sourcev1 "github.com/ferry-gitops/ferry/shared/api/source/v1"
	"github.com/ferry-gitops/ferry/shared/runtime/conditions"
	"github.com/ferry-gitops/ferry/shared/runtime/reconcile"
	sourcectrl "github.com/ferry-gitops/ferry/source-controller/internal/controller"
	"github.com/ferry-gitops/ferry/source-controller/internal/helm/index"
	"github.com/ferry-gitops/ferry/source-controller/internal/helm/repository"
)

// reconcileIndex fetches index.yaml, checks it and stores it unless the stored artifact
// already has the same digest.
func (r *Reconciler) reconcileIndex(ctx context.Context, s *reconcile.Scope[*sourcev1.HelmRepository]) reconcile.Result {
	obj := s.Obj
	if _, err := repository.ParseURL(obj.Spec.URL); err != nil {
		conditions.MarkTrue(obj, sourcev1.FetchFailedCondition, sourcev1.URLInvalidReason, err.Error())
		return reconcile.Stalled(sourcev1.URLInvalidReason, err)
	}
	tmp, err := os.CreateTemp("", "ferry-helm-index-*.yaml")
	if err != nil {
		return sourcectrl.StorageFailed(obj, sourcev1.ReadOperationFailedReason, fmt.Errorf("failed to create temporary file: %w", err))
	}
	defer func() {
		_ = tmp.Close()
		_ = os.Remove(tmp.Name())
	}()
	digest, res := r.fetch(ctx, obj, tmp)
	if !res.IsDone() {
		return res
	}
	s.SetRevision(digest)
	if a := obj.Status.Artifact; a != nil && a.Digest == digest && r.deps.Storage.Exists(*a) {
		conditions.Delete(obj, sourcev1.FetchFailedCondition)
		return r.stored(obj) // checked when it was stored
	}
	if _, err := tmp.Seek(0, 0); err != nil {
		return sourcectrl.StorageFailed(obj, sourcev1.ReadOperationFailedReason, fmt.Errorf("failed to read fetched index: %w", err))
	}
	idx, err := index.Parse(tmp)
	if err != nil {
		conditions.MarkTrue(obj, sourcev1.FetchFailedCondition, sourcev1.IndexationFailedReason, err.Error())
		return reconcile.Transient(sourcev1.IndexationFailedReason, err)
	}
	conditions.Delete(obj, sourcev1.FetchFailedCondition)
	if res := r.store(ctx, s, tmp.Name(), digest); !res.IsDone() {
		return res
	}
	r.deps.HelmIndexes().Put(obj.Status.Artifact.Digest, idx)
	s.Event(corev1.EventTypeNormal, sourcev1.NewArtifactEventReason,
		fmt.Sprintf("stored fetched index of %d charts (%d versions) from '%s'", len(idx.Charts()), idx.Len(), obj.Spec.URL))
	return r.stored(obj)
}

// fetch downloads index.yaml into f with the repository's credentials and limits.
func (r *Reconciler) fetch(ctx context.Context, obj *sourcev1.HelmRepository, f *os.File) (string, reconcile.Result) {
	opts, err := Options(ctx, r.secrets, obj)
	if err != nil {
		conditions.MarkTrue(obj, sourcev1.FetchFailedCondition, sourcev1.AuthenticationFailedReason, err.Error())
		return "", reconcile.Transient(sourcev1.AuthenticationFailedReason, err)
	}
	c, err := repository.NewClient(obj.Spec.URL, opts)
	if err != nil {
		conditions.MarkTrue(obj, sourcev1.FetchFailedCondition, sourcev1.URLInvalidReason, err.Error())
		return "", reconcile.Stalled(sourcev1.URLInvalidReason, err)
	}
	defer c.Close()
	ctx, cancel := context.WithTimeout(ctx, obj.GetTimeout())
	defer cancel()
	digest, _, err := c.FetchIndex(ctx, f, r.deps.Helm.IndexMaxSize)
	if err != nil {
		reason := sourcev1.IndexationFailedReason
		if errors.Is(err, repository.ErrUnauthorized) {
			reason = sourcev1.AuthenticationFailedReason
		}
		conditions.MarkTrue(obj, sourcev1.FetchFailedCondition, reason, err.Error())
		return "", reconcile.Transient(reason, err)
	}
	return digest, reconcile.Result{}
}

// store copies the fetched index into the storage and collects older artifacts.
func (r *Reconciler) store(ctx context.Context, s *reconcile.Scope[*sourcev1.HelmRepository], path, digest string) reconcile.Result {
	obj := s.Obj
	unlock, err := r.deps.Storage.Lock(ctx, sourcev1.HelmRepositoryKind, obj.Namespace, obj.Name)
	if err != nil {
		return sourcectrl.StorageFailed(obj, sourcev1.AcquireLockFailedReason, err)
	}
	defer unlock()
	a, err := r.deps.Storage.Copy(ctx, sourcev1.HelmRepositoryKind, obj.Namespace, obj.Name, path, ".yaml", digest, nil)
	if err != nil {
		return sourcectrl.StorageFailed(obj, sourcev1.ArchiveOperationFailedReason, err)
	}
	obj.Status.Artifact = &a
	obj.Status.URL = a.URL
	if _, err := r.deps.Storage.GarbageCollect(ctx, sourcev1.HelmRepositoryKind, obj.Namespace, obj.Name, a); err != nil {
		s.Log.Error(err, "failed to garbage collect older artifacts")
	}
	conditions.Delete(obj, sourcev1.StorageOperationFailedCondition)
	return reconcile.Result{}
}

// stored marks the artifact as stored and ends a successful reconcile.
func (r *Reconciler) stored(obj *sourcev1.HelmRepository) reconcile.Result {
	obj.Status.URL = obj.Status.Artifact.URL
	return sourcectrl.Stored(obj, fmt.Sprintf("stored artifact: revision '%s'", obj.Status.Artifact.Revision))
}
