package controller

import (
	"context"
	"fmt"
	"maps"

	"github.com/go-logr/logr"
	corev1 "k8s.io/api/core/v1"

	fluxmeta "github.com/ferry-gitops/ferry/shared/api/meta"
	sourcev1 "github.com/ferry-gitops/ferry/shared/api/source/v1"
	"github.com/ferry-gitops/ferry/shared/runtime/conditions"
	"github.com/ferry-gitops/ferry/shared/runtime/reconcile"
	"github.com/ferry-gitops/ferry/source-controller/internal/storage"
)

// StatusFunc returns where an object keeps its artifact (status.artifact) and the artifact's
// URL (status.url; nil for a kind without one).
type StatusFunc[T Object] func(obj T) (artifact **fluxmeta.Artifact, url *string)

// Artifacts stores the artifacts of one source kind and keeps the objects' status in step
// with the storage: every kind stores, re-stamps and drops its artifacts through it.
type Artifacts[T Object] struct {
	kind    string
	storage *storage.Storage
	status  StatusFunc[T]
}

// NewArtifacts returns the Artifacts of the source kind named kind, stored in st.
func NewArtifacts[T Object](kind string, st *storage.Storage, status StatusFunc[T]) *Artifacts[T] {
	return &Artifacts[T]{kind: kind, storage: st, status: status}
}

// Storage returns the storage the artifacts are kept in.
func (a *Artifacts[T]) Storage() *storage.Storage { return a.storage }

// Check is the first step of every source kind. It drops an artifact whose file vanished from
// the storage (status.artifact, status.url and ArtifactInStorage), so that it is fetched
// again, and re-stamps the URL of one that is there with the storage's advertised address,
// which may have changed since it was stored. It returns whether the artifact vanished.
func (a *Artifacts[T]) Check(s *reconcile.Scope[T]) bool {
	return a.Refresh(s.Obj, s.Log)
}

// Refresh is Check for an object whose artifact is kept by the reconciler of another object
// (an ExternalArtifact by its ArtifactGenerator): it changes obj's status in memory only.
func (a *Artifacts[T]) Refresh(obj T, log logr.Logger) bool {
	artifact, url := a.status(obj)
	current := *artifact
	if current == nil {
		return false
	}
	if !a.storage.Exists(*current) {
		log.Info("artifact vanished from storage, fetching it again", "path", current.Path)
		*artifact = nil
		if url != nil {
			*url = ""
		}
		conditions.Delete(obj, sourcev1.ArtifactInStorageCondition)
		return true
	}
	current.URL = a.storage.URL(current.Path)
	if url != nil {
		*url = current.URL
	}
	return false
}

// NewArtifact is what Store records.
type NewArtifact struct {
	// Write writes the artifact's file into the storage and returns its record; Store calls
	// it under the object's storage lock. Nil means the artifact in the status is up to date.
	Write func(ctx context.Context, st *storage.Storage) (fluxmeta.Artifact, error)
	// Event is the message of the NewArtifact event, recorded when the written artifact is
	// not the one in the status (another revision or content).
	Event string
	// Reason and Message describe ArtifactInStorage=True and the step's Done result; Reason
	// defaults to Succeeded.
	Reason, Message string
}

// Store is the one way a source kind stores an artifact. Unless n.Write is nil, it takes the
// object's storage lock, writes the artifact, records it in the status (an artifact equal to
// the current one keeps its record), queues a NewArtifact event when it changed and collects
// the older artifacts; it then marks ArtifactInStorage=True, stamps status.url, and returns
// the Done result of n.Reason and n.Message. A failure of the storage marks
// StorageOperationFailed and is retried.
func (a *Artifacts[T]) Store(ctx context.Context, s *reconcile.Scope[T], n NewArtifact) reconcile.Result {
	artifact, url := a.status(s.Obj)
	if n.Write != nil {
		written, res := a.write(ctx, s, n.Write)
		if !res.IsDone() {
			return res
		}
		if a.Record(s.Obj, written) {
			s.Event(corev1.EventTypeNormal, sourcev1.NewArtifactEventReason, n.Event)
		}
	}
	if url != nil {
		*url = (*artifact).URL
	}
	reason := n.Reason
	if reason == "" {
		reason = fluxmeta.SucceededReason
	}
	conditions.MarkTrue(s.Obj, sourcev1.ArtifactInStorageCondition, reason, n.Message)
	return reconcile.Done(reason, n.Message)
}

// write runs write under the object's lock and collects the artifacts older than the one it
// wrote.
func (a *Artifacts[T]) write(ctx context.Context, s *reconcile.Scope[T],
	write func(context.Context, *storage.Storage) (fluxmeta.Artifact, error)) (fluxmeta.Artifact, reconcile.Result) {
	written, reason, err := a.Put(ctx, s.Log, s.Obj.GetNamespace(), s.Obj.GetName(), write)
	if err != nil {
		return fluxmeta.Artifact{}, StorageFailed(s.Obj, reason, err)
	}
	return written, reconcile.Done("", "")
}

// Put writes the artifact of the object namespace/name of the kind with write, under the
// object's storage lock, collects the object's older artifacts and returns the record
// written. On failure it returns the reason (AcquireLockFailed, ArchiveOperationFailed). It
// is how a reconciler stores the artifacts of objects it keeps for another one (the
// ExternalArtifacts of an ArtifactGenerator); Store uses it for the object it reconciles.
func (a *Artifacts[T]) Put(ctx context.Context, log logr.Logger, namespace, name string,
	write func(context.Context, *storage.Storage) (fluxmeta.Artifact, error)) (fluxmeta.Artifact, string, error) {
	unlock, err := a.storage.Lock(ctx, a.kind, namespace, name)
	if err != nil {
		return fluxmeta.Artifact{}, sourcev1.AcquireLockFailedReason, err
	}
	defer unlock()
	written, err := write(ctx, a.storage)
	if err != nil {
		return fluxmeta.Artifact{}, sourcev1.ArchiveOperationFailedReason, err
	}
	removed, err := a.storage.GarbageCollect(ctx, a.kind, namespace, name, written)
	switch {
	case err != nil:
		log.Error(err, "failed to collect old artifacts")
	case len(removed) > 0:
		log.V(1).Info("collected old artifacts", "paths", removed)
	}
	return written, "", nil
}

// Record puts written in obj's status unless the artifact there is the same (file, revision,
// digest and metadata), and reports whether it did.
func (a *Artifacts[T]) Record(obj T, written fluxmeta.Artifact) bool {
	artifact, url := a.status(obj)
	if previous := *artifact; previous != nil && sameArtifact(*previous, written) {
		return false
	}
	*artifact = &written
	if url != nil {
		*url = written.URL
	}
	return true
}

// sameArtifact reports whether b is the artifact a: same file, revision and metadata.
func sameArtifact(a, b fluxmeta.Artifact) bool {
	return a.Path == b.Path && a.Revision == b.Revision && a.Digest == b.Digest && maps.Equal(a.Metadata, b.Metadata)
}

// Remove removes every artifact of obj from the storage under the object's lock, and from
// its status.
func (a *Artifacts[T]) Remove(ctx context.Context, obj T) error {
	unlock, err := a.storage.Lock(ctx, a.kind, obj.GetNamespace(), obj.GetName())
	if err != nil {
		return err
	}
	defer unlock()
	if err := a.storage.RemoveAll(a.kind, obj.GetNamespace(), obj.GetName()); err != nil {
		return err
	}
	artifact, url := a.status(obj)
	*artifact = nil
	if url != nil {
		*url = ""
	}
	conditions.Delete(obj, sourcev1.ArtifactInStorageCondition)
	return nil
}

// Finalize removes every artifact of the deleted object: the finalizer of every source kind.
// A failure is retried.
func (a *Artifacts[T]) Finalize(ctx context.Context, s *reconcile.Scope[T]) reconcile.Result {
	if err := a.Remove(ctx, s.Obj); err != nil {
		return reconcile.Transient(fluxmeta.DeletionFailedReason, err)
	}
	return reconcile.Done("", "")
}

// StorageFailed marks a failure of the artifact storage, StorageOperationFailed=True with
// reason, and returns a failure retried with back-off.
func StorageFailed(obj fluxmeta.StatusObject, reason string, err error) reconcile.Result {
	conditions.MarkTrue(obj, sourcev1.StorageOperationFailedCondition, reason, err.Error())
	return reconcile.Transient(reason, err)
}

// FetchFailed marks a failure to fetch the source, FetchFailed=True with reason, and returns
// a failure retried with back-off. When the artifact vanished from the storage in this
// reconcile (Check said so), the message says that it cannot be fetched again.
func FetchFailed(obj fluxmeta.StatusObject, vanished bool, reason string, err error) reconcile.Result {
	if vanished {
		err = fmt.Errorf("the artifact vanished from storage and cannot be fetched again: %w", err)
	}
	conditions.MarkTrue(obj, sourcev1.FetchFailedCondition, reason, err.Error())
	return reconcile.Transient(reason, err)
}
