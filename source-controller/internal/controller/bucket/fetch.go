package bucket

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/types"

	sourcev1 "github.com/ferry-gitops/ferry/shared/api/source/v1"
	"github.com/ferry-gitops/ferry/shared/artifact"
	"github.com/ferry-gitops/ferry/shared/runtime/conditions"
	"github.com/ferry-gitops/ferry/shared/runtime/reconcile"
	"github.com/ferry-gitops/ferry/source-controller/internal/bucket"
	sourcecontroller "github.com/ferry-gitops/ferry/source-controller/internal/controller"
)

// newRevisionReason is the reason of ArtifactOutdated while the bucket holds a revision
// that is not stored yet.
const newRevisionReason = "NewRevision"

// fetch confirms the bucket exists and lists its objects; unless the stored artifact was
// built from the same listing, it downloads the objects that changed into a temporary
// directory.
func (p *pass) fetch(ctx context.Context, s *scope) reconcile.Result {
	obj := s.Obj
	ctx, cancel := context.WithTimeout(ctx, obj.GetTimeout())
	defer cancel()
	c, err := bucket.NewClient(p.cfg)
	if err != nil {
		return reconcile.Stalled(sourcev1.URLInvalidReason, err)
	}
	if err := c.BucketExists(ctx, obj.Spec.BucketName); err != nil {
		return p.fetchFailed(obj, err)
	}
	listing, err := c.List(ctx, obj.Spec.BucketName, obj.Spec.Prefix, obj.Spec.Ignore)
	if err != nil {
		return p.fetchFailed(obj, err)
	}
	if len(listing.Unsafe) > 0 {
		s.Log.Info("skipped objects whose keys are not safe file paths", "keys", listing.Unsafe)
	}
	revision := listing.Index.Revision()
	s.SetRevision(revision)
	if a := obj.Status.Artifact; a != nil && a.Revision == revision {
		p.upToDate = true
		conditions.Delete(obj, sourcev1.FetchFailedCondition)
		return reconcile.Result{}
	}
	msg := fmt.Sprintf("new upstream revision '%s'", revision)
	conditions.MarkTrue(obj, sourcev1.ArtifactOutdatedCondition, newRevisionReason, msg)
	if p.dir, err = os.MkdirTemp("", "bucket-"); err != nil {
		return sourcecontroller.StorageFailed(obj, sourcev1.DirCreationFailedReason, fmt.Errorf("failed to create temporary directory: %w", err))
	}
	have := p.seed(s)
	if p.stats, err = c.Download(ctx, obj.Spec.BucketName, p.dir, listing.Index, have, p.r.concurrency); err != nil {
		return p.fetchFailed(obj, err)
	}
	p.index = listing.Index
	conditions.Delete(obj, sourcev1.FetchFailedCondition)
	return reconcile.Result{}
}

// seed extracts the current artifact into the download directory when the listing it was
// built from is known, and returns that listing, so that only changed objects are fetched.
// Anything going wrong only means a full download.
func (p *pass) seed(s *scope) bucket.Index {
	a := s.Obj.Status.Artifact
	if a == nil {
		return nil
	}
	have := p.r.builtFrom(types.NamespacedName{Namespace: s.Obj.Namespace, Name: s.Obj.Name}, a.Digest)
	if have == nil {
		return nil
	}
	err := func() error {
		f, err := os.Open(filepath.Join(p.r.storage.Path(), filepath.FromSlash(a.Path)))
		if err != nil {
			return err
		}
		defer f.Close()
		return artifact.Extract(f, p.dir, artifact.Limits{})
	}()
	if err != nil {
		s.Log.Info("downloading every object: the previous artifact cannot be reused", "error", err.Error())
		return nil
	}
	return have
}

// fetchFailed marks a failure to reach or read the bucket: FetchFailed=True, retried with
// back-off; the last artifact stays.
func (p *pass) fetchFailed(obj *sourcev1.Bucket, err error) reconcile.Result {
	if p.vanished {
		err = fmt.Errorf("the artifact vanished from storage and cannot be fetched again: %w", err)
	}
	conditions.MarkTrue(obj, sourcev1.FetchFailedCondition, sourcev1.BucketOperationFailedReason, err.Error())
	return reconcile.Transient(sourcev1.BucketOperationFailedReason, err)
}

// storeArtifact packs the downloaded objects into the storage, records the artifact in the
// status and collects older artifacts.
func (p *pass) storeArtifact(ctx context.Context, s *scope) reconcile.Result {
	obj := s.Obj
	if p.upToDate {
		obj.Status.ObservedIgnore = obj.Spec.Ignore
		return stored(obj)
	}
	unlock, err := p.r.storage.Lock(ctx, sourcev1.BucketKind, obj.Namespace, obj.Name)
	if err != nil {
		return sourcecontroller.StorageFailed(obj, sourcev1.AcquireLockFailedReason, err)
	}
	defer unlock()
	revision := p.index.Revision()
	a, err := p.r.storage.Archive(ctx, sourcev1.BucketKind, obj.Namespace, obj.Name, p.dir, revision, nil, nil)
	if err != nil {
		return sourcecontroller.StorageFailed(obj, sourcev1.ArchiveOperationFailedReason, err)
	}
	obj.Status.Artifact = &a
	obj.Status.URL = a.URL
	obj.Status.ObservedIgnore = obj.Spec.Ignore
	p.r.remember(types.NamespacedName{Namespace: obj.Namespace, Name: obj.Name}, a.Digest, p.index)
	s.Event(corev1.EventTypeNormal, sourcev1.NewArtifactEventReason,
		fmt.Sprintf("stored artifact with %d object(s) from bucket '%s' (%d fetched)", len(p.index), obj.Spec.BucketName, p.stats.Fetched))
	if removed, err := p.r.storage.GarbageCollect(ctx, sourcev1.BucketKind, obj.Namespace, obj.Name, a); err != nil {
		s.Log.Error(err, "failed to collect old artifacts")
	} else if len(removed) > 0 {
		s.Log.V(1).Info("collected old artifacts", "paths", removed)
	}
	return stored(obj)
}

// stored marks the artifact in the status as stored and up to date, and returns the Ready
// result.
func stored(obj *sourcev1.Bucket) reconcile.Result {
	return sourcecontroller.Stored(obj, fmt.Sprintf("stored artifact for revision '%s'", obj.Status.Artifact.Revision))
}
