package ocirepository

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"

	fluxmeta "github.com/ferry-gitops/ferry/shared/api/meta"
	sourcev1 "github.com/ferry-gitops/ferry/shared/api/source/v1"
	"github.com/ferry-gitops/ferry/shared/runtime/conditions"
	"github.com/ferry-gitops/ferry/shared/runtime/reconcile"
	sourcecontroller "github.com/ferry-gitops/ferry/source-controller/internal/controller"
	"github.com/ferry-gitops/ferry/source-controller/internal/ignore"
	"github.com/ferry-gitops/ferry/source-controller/internal/oci"
)

// copyExt is the extension of a layer stored as it is (operation copy).
const copyExt = ".tgz"

// validate stalls on a spec that can never work. Refused fields (spec.verify, cloud
// providers) are stalled by the kind's unsupported rules before this runs.
func (st *state) validate(_ context.Context, s *scope) reconcile.Result {
	obj := s.Obj
	if _, err := oci.ParseURL(obj.Spec.URL, obj.Spec.Insecure); err != nil {
		return reconcile.Stalled(sourcev1.URLInvalidReason, err)
	}
	if op := obj.GetLayerOperation(); op != sourcev1.OCILayerExtract && op != sourcev1.OCILayerCopy {
		return reconcile.Stalled(fluxmeta.UnsupportedSpecReason, fmt.Errorf("layer operation '%s' is not supported: use extract or copy", op))
	}
	// spec.verify is refused, so nothing is verified: drop a SourceVerified condition left
	// from a time the object set it.
	conditions.Delete(obj, sourcev1.SourceVerifiedCondition)
	return reconcile.Done("", "")
}

// newClient builds the registry client from the referenced Secrets.
func (st *state) newClient(ctx context.Context, s *scope) reconcile.Result {
	cfg, err := st.r.clientConfig(ctx, s.Obj)
	if err == nil {
		st.client, err = oci.NewClient(cfg)
	}
	if err != nil {
		return fetchFailed(s.Obj, sourcev1.AuthenticationFailedReason, err)
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
		return fetchFailed(obj, reasonFor(err), err)
	}
	st.resolved = res
	s.SetRevision(res.Revision)
	a := obj.Status.Artifact
	st.upToDate = a != nil && a.Revision == res.Revision &&
		equality.Semantic.DeepEqual(obj.Status.ObservedLayerSelector, obj.Spec.LayerSelector) &&
		equality.Semantic.DeepEqual(obj.Status.ObservedIgnore, obj.Spec.Ignore) &&
		st.r.storage.Exists(*a)
	if !st.upToDate && a != nil && !st.r.storage.Exists(*a) {
		conditions.MarkFalse(obj, sourcev1.ArtifactInStorageCondition, fluxmeta.ArtifactOutdatedReason,
			fmt.Sprintf("artifact for revision '%s' is missing from storage", a.Revision))
	}
	return reconcile.Done("", "")
}

// pull fetches the selected layer of the resolved manifest into a temporary directory,
// unless the stored artifact is up to date.
func (st *state) pull(ctx context.Context, s *scope) reconcile.Result {
	if st.upToDate {
		conditions.Delete(s.Obj, sourcev1.FetchFailedCondition)
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
		return fetchFailed(obj, reasonFor(err), err)
	}
	st.metadata = pulled.Metadata
	conditions.Delete(obj, sourcev1.FetchFailedCondition)
	return reconcile.Done("", "")
}

// fetchFailed marks FetchFailed and returns the failure: a spec that can never resolve
// stalls, anything else is retried.
func fetchFailed(obj *sourcev1.OCIRepository, reason string, err error) reconcile.Result {
	conditions.MarkTrue(obj, sourcev1.FetchFailedCondition, reason, err.Error())
	if errors.Is(err, oci.ErrInvalid) {
		return reconcile.Stalled(reason, err)
	}
	return reconcile.Transient(reason, err)
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

// store archives (extract) or copies (copy) the pulled content into the storage, records
// status.artifact and collects older artifacts; an up-to-date artifact is left as it is.
func (st *state) store(ctx context.Context, s *scope) reconcile.Result {
	obj := s.Obj
	if !st.upToDate {
		if res := st.storeNew(ctx, s); !res.IsDone() {
			return res
		}
	}
	return sourcecontroller.Stored(obj, fmt.Sprintf("stored artifact for digest '%s'", obj.Status.Artifact.Revision))
}

// storeNew writes the pulled content as the new artifact.
func (st *state) storeNew(ctx context.Context, s *scope) reconcile.Result {
	obj, sto := s.Obj, st.r.storage
	unlock, err := sto.Lock(ctx, sourcev1.OCIRepositoryKind, obj.Namespace, obj.Name)
	if err != nil {
		return sourcecontroller.StorageFailed(obj, sourcev1.AcquireLockFailedReason, err)
	}
	defer unlock()
	rev := st.resolved.Revision
	var a fluxmeta.Artifact
	if obj.GetLayerOperation() == sourcev1.OCILayerCopy {
		a, err = sto.Copy(ctx, sourcev1.OCIRepositoryKind, obj.Namespace, obj.Name, st.pulled, copyExt, rev, st.metadata)
	} else {
		var m ignore.Matcher
		if m, err = ignore.New(st.pulled, obj.Spec.Ignore, ignore.Options{}); err == nil {
			a, err = sto.Archive(ctx, sourcev1.OCIRepositoryKind, obj.Namespace, obj.Name, st.pulled, rev, m.Exclude, st.metadata)
		}
	}
	if err != nil {
		return sourcecontroller.StorageFailed(obj, sourcev1.ArchiveOperationFailedReason, fmt.Errorf("failed to store the artifact of revision '%s': %w", rev, err))
	}
	obj.Status.Artifact = &a
	obj.Status.URL = a.URL
	obj.Status.ObservedLayerSelector = obj.Spec.LayerSelector.DeepCopy()
	obj.Status.ObservedIgnore = obj.Spec.Ignore
	s.Event(corev1.EventTypeNormal, sourcev1.NewArtifactEventReason,
		fmt.Sprintf("stored artifact with revision '%s' from '%s'", rev, obj.Spec.URL))
	if removed, err := sto.GarbageCollect(ctx, sourcev1.OCIRepositoryKind, obj.Namespace, obj.Name, a); err != nil {
		s.Log.Error(err, "failed to collect old artifacts", "removed", removed)
	}
	return reconcile.Done("", "")
}
