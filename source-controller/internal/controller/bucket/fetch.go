package bucket

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"k8s.io/apimachinery/pkg/types"

	fluxmeta "github.com/ferry-gitops/ferry/shared/api/meta"
	sourcev1 "github.com/ferry-gitops/ferry/shared/api/source/v1"
	"github.com/ferry-gitops/ferry/shared/artifact"
	"github.com/ferry-gitops/ferry/shared/runtime/conditions"
	"github.com/ferry-gitops/ferry/shared/runtime/reconcile"
	"github.com/ferry-gitops/ferry/source-controller/internal/bucket"
	sourcecontroller "github.com/ferry-gitops/ferry/source-controller/internal/controller"
	"github.com/ferry-gitops/ferry/source-controller/internal/storage"
)

// newRevisionReason is the reason of ArtifactOutdated while the bucket holds a revision
// that is not stored yet.
const newRevisionReason = "NewRevision"

// fetch confirms the bucket exists and lists its objects; unless the stored artifact was
// built from the same listing, it downloads the objects that changed into a temporary
// directory.
func (st *state) fetch(ctx context.Context, s *scope) reconcile.Result {
	obj := s.Obj
	ctx, cancel := context.WithTimeout(ctx, obj.GetTimeout())
	defer cancel()
	c, err := bucket.NewClient(st.cfg)
	if err != nil {
		return reconcile.Stalled(sourcev1.URLInvalidReason, err)
	}
	if err := c.BucketExists(ctx, obj.Spec.BucketName); err != nil {
		return st.fetchFailed(obj, err)
	}
	listing, err := c.List(ctx, obj.Spec.BucketName, obj.Spec.Prefix, obj.Spec.Ignore)
	if err != nil {
		return st.fetchFailed(obj, err)
	}
	if len(listing.Unsafe) > 0 {
		s.Log.Info("skipped objects whose keys are not safe file paths", "keys", listing.Unsafe)
	}
	revision := listing.Index.Revision()
	s.SetRevision(revision)
	if a := obj.Status.Artifact; a != nil && a.Revision == revision {
		st.upToDate = true
		return reconcile.Result{}
	}
	msg := fmt.Sprintf("new upstream revision '%s'", revision)
	conditions.MarkTrue(obj, sourcev1.ArtifactOutdatedCondition, newRevisionReason, msg)
	if st.dir, err = os.MkdirTemp("", "bucket-"); err != nil {
		return sourcecontroller.StorageFailed(obj, sourcev1.DirCreationFailedReason, fmt.Errorf("failed to create temporary directory: %w", err))
	}
	have := st.seed(s)
	if st.stats, err = c.Download(ctx, obj.Spec.BucketName, st.dir, listing.Index, have, st.r.concurrency); err != nil {
		return st.fetchFailed(obj, err)
	}
	st.index = listing.Index
	conditions.Delete(obj, sourcev1.FetchFailedCondition)
	return reconcile.Result{}
}

// seed extracts the current artifact into the download directory when the listing it was
// built from is known, and returns that listing, so that only changed objects are fetched.
// Anything going wrong only means a full download.
func (st *state) seed(s *scope) bucket.Index {
	a := s.Obj.Status.Artifact
	if a == nil {
		return nil
	}
	have := st.r.builtFrom(types.NamespacedName{Namespace: s.Obj.Namespace, Name: s.Obj.Name}, a.Digest)
	if have == nil {
		return nil
	}
	err := func() error {
		f, err := os.Open(filepath.Join(st.r.artifacts.Storage().Path(), filepath.FromSlash(a.Path)))
		if err != nil {
			return err
		}
		defer f.Close()
		return artifact.Extract(f, st.dir, artifact.Limits{})
	}()
	if err != nil {
		s.Log.Info("downloading every object: the previous artifact cannot be reused", "error", err.Error())
		return nil
	}
	return have
}

// fetchFailed marks a failure to reach or read the bucket: FetchFailed=True, retried with
// back-off; the last artifact stays.
func (st *state) fetchFailed(obj *sourcev1.Bucket, err error) reconcile.Result {
	return sourcecontroller.FetchFailed(obj, st.vanished, sourcev1.BucketOperationFailedReason, err)
}

// storeArtifact packs the downloaded objects into the storage and records the artifact in
// the status, and the listing it was built from.
func (st *state) storeArtifact(ctx context.Context, s *scope) reconcile.Result {
	obj := s.Obj
	n := sourcecontroller.NewArtifact{}
	if st.upToDate {
		n.Message = fmt.Sprintf("stored artifact for revision '%s'", obj.Status.Artifact.Revision)
	} else {
		revision := st.index.Revision()
		n.Write = func(ctx context.Context, sto *storage.Storage) (fluxmeta.Artifact, error) {
			return sto.Archive(ctx, sourcev1.BucketKind, obj.Namespace, obj.Name, st.dir, revision, nil, nil)
		}
		n.Event = fmt.Sprintf("stored artifact with %d object(s) from bucket '%s' (%d fetched)", len(st.index), obj.Spec.BucketName, st.stats.Fetched)
		n.Message = fmt.Sprintf("stored artifact for revision '%s'", revision)
	}
	res := st.r.artifacts.Store(ctx, s, n)
	if !res.IsDone() {
		return res
	}
	obj.Status.ObservedIgnore = obj.Spec.Ignore
	if !st.upToDate {
		st.r.remember(types.NamespacedName{Namespace: obj.Namespace, Name: obj.Name}, obj.Status.Artifact.Digest, st.index)
	}
	return res
}
