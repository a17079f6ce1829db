package gitrepository

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"

	fluxmeta "github.com/ferry-gitops/ferry/shared/api/meta"
	sourcev1 "github.com/ferry-gitops/ferry/shared/api/source/v1"
	"github.com/ferry-gitops/ferry/shared/artifact"
	"github.com/ferry-gitops/ferry/shared/runtime/conditions"
	"github.com/ferry-gitops/ferry/shared/runtime/reconcile"
	sourcecontroller "github.com/ferry-gitops/ferry/source-controller/internal/controller"
	"github.com/ferry-gitops/ferry/source-controller/internal/ignore"
)

// storeArtifact packs the checkout and the included artifacts, less what the ignore rules
// leave out, into the storage, records it in the status and collects older artifacts.
func (p *pass) storeArtifact(ctx context.Context, s *scope) reconcile.Result {
	obj := s.Obj
	if p.upToDate {
		return stored(obj)
	}
	if res := p.copyIncludes(obj); !res.IsDone() {
		return res
	}
	matcher, err := ignore.New(p.dir, obj.Spec.Ignore, ignore.Options{})
	if err != nil {
		conditions.MarkTrue(obj, sourcev1.BuildFailedCondition, fluxmeta.BuildFailedReason, err.Error())
		return reconcile.Transient(fluxmeta.BuildFailedReason, err)
	}
	conditions.Delete(obj, sourcev1.BuildFailedCondition)
	unlock, err := p.r.storage.Lock(ctx, sourcev1.GitRepositoryKind, obj.Namespace, obj.Name)
	if err != nil {
		return sourcecontroller.StorageFailed(obj, sourcev1.AcquireLockFailedReason, err)
	}
	defer unlock()
	a, err := p.r.storage.Archive(ctx, sourcev1.GitRepositoryKind, obj.Namespace, obj.Name, p.dir,
		p.commit.Revision, matcher.Exclude, nil)
	if err != nil {
		return sourcecontroller.StorageFailed(obj, sourcev1.ArchiveOperationFailedReason, err)
	}
	previous := obj.Status.Artifact
	obj.Status.Artifact = &a
	obj.Status.IncludedArtifacts = p.included
	obj.Status.ObservedIgnore = obj.Spec.Ignore
	obj.Status.ObservedRecurseSubmodules = obj.Spec.RecurseSubmodules
	obj.Status.ObservedInclude = slices.Clone(obj.Spec.Include)
	obj.Status.ObservedSparseCheckout = slices.Clone(obj.Spec.SparseCheckout)
	if previous == nil || previous.Revision != a.Revision || previous.Digest != a.Digest {
		s.Event(corev1.EventTypeNormal, sourcev1.NewArtifactEventReason,
			fmt.Sprintf("stored artifact for commit '%s'", p.commit.ShortMessage()))
	}
	if removed, err := p.r.storage.GarbageCollect(ctx, sourcev1.GitRepositoryKind, obj.Namespace, obj.Name, a); err != nil {
		s.Log.Error(err, "failed to collect old artifacts")
	} else if len(removed) > 0 {
		s.Log.V(1).Info("collected old artifacts", "paths", removed)
	}
	return stored(obj)
}

// copyIncludes copies fromPath of each included artifact to toPath of the checkout,
// replacing what was there.
func (p *pass) copyIncludes(obj *sourcev1.GitRepository) reconcile.Result {
	for i, incl := range obj.Spec.Include {
		if err := p.copyInclude(incl, p.included[i]); err != nil {
			err = fmt.Errorf("failed to include '%s': %w", incl.GitRepositoryRef.Name, err)
			conditions.MarkTrue(obj, sourcev1.BuildFailedCondition, fluxmeta.BuildFailedReason, err.Error())
			return reconcile.Transient(fluxmeta.BuildFailedReason, err)
		}
	}
	return reconcile.Result{}
}

func (p *pass) copyInclude(incl sourcev1.GitRepositoryInclude, a *fluxmeta.Artifact) error {
	tmp, err := p.tempDir("gitrepository-include-")
	if err != nil {
		return err
	}
	f, err := os.Open(filepath.Join(p.r.storage.Path(), filepath.FromSlash(a.Path)))
	if err != nil {
		return fmt.Errorf("failed to open its artifact: %w", err)
	}
	defer f.Close()
	if err := artifact.Extract(f, tmp, artifact.Limits{}); err != nil {
		return fmt.Errorf("failed to extract its artifact: %w", err)
	}
	src := filepath.Join(tmp, filepath.FromSlash(incl.FromPath))
	if _, err := os.Stat(src); errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("fromPath '%s' does not exist in its artifact", incl.FromPath)
	}
	if err := checkNoSymlinks(p.dir, incl.GetToPath()); err != nil {
		return err
	}
	dest := filepath.Join(p.dir, filepath.FromSlash(incl.GetToPath()))
	if err := os.RemoveAll(dest); err != nil {
		return fmt.Errorf("failed to clear toPath '%s': %w", incl.GetToPath(), err)
	}
	if err := os.MkdirAll(filepath.Dir(dest), 0o755); err != nil {
		return fmt.Errorf("failed to create toPath '%s': %w", incl.GetToPath(), err)
	}
	if err := os.Rename(src, dest); err != nil {
		return fmt.Errorf("failed to move its content to '%s': %w", incl.GetToPath(), err)
	}
	return nil
}

// checkNoSymlinks fails when a directory on the way from root to rel is a symbolic link,
// which could lead a copy out of root.
func checkNoSymlinks(root, rel string) error {
	dir := root
	parts := strings.Split(filepath.ToSlash(filepath.Dir(filepath.FromSlash(rel))), "/")
	for _, part := range parts {
		if part == "." || part == "" {
			continue
		}
		dir = filepath.Join(dir, part)
		info, err := os.Lstat(dir)
		if errors.Is(err, fs.ErrNotExist) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("failed to inspect toPath '%s': %w", rel, err)
		}
		if info.Mode()&fs.ModeSymlink != 0 {
			return fmt.Errorf("toPath '%s' goes through a symbolic link of the repository", rel)
		}
	}
	return nil
}

// stored marks the artifact in the status as stored and returns the Ready result.
func stored(obj *sourcev1.GitRepository) reconcile.Result {
	return sourcecontroller.Stored(obj, fmt.Sprintf("stored artifact for revision '%s'", obj.Status.Artifact.Revision))
}
