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

	fluxmeta "github.com/ferry-gitops/ferry/shared/api/meta"
	sourcev1 "github.com/ferry-gitops/ferry/shared/api/source/v1"
	"github.com/ferry-gitops/ferry/shared/artifact"
	"github.com/ferry-gitops/ferry/shared/runtime/conditions"
	"github.com/ferry-gitops/ferry/shared/runtime/reconcile"
	sourcecontroller "github.com/ferry-gitops/ferry/source-controller/internal/controller"
	"github.com/ferry-gitops/ferry/source-controller/internal/ignore"
	"github.com/ferry-gitops/ferry/source-controller/internal/storage"
)

// storeArtifact packs the checkout and the included artifacts, less what the ignore rules
// leave out, into the storage, and records it in the status with what it was built from.
func (st *state) storeArtifact(ctx context.Context, s *scope) reconcile.Result {
	obj := s.Obj
	n := sourcecontroller.NewArtifact{}
	if st.upToDate {
		n.Message = fmt.Sprintf("stored artifact for revision '%s'", obj.Status.Artifact.Revision)
		return st.r.artifacts.Store(ctx, s, n)
	}
	if res := st.copyIncludes(obj); !res.IsDone() {
		return res
	}
	matcher, err := ignore.New(st.dir, obj.Spec.Ignore, ignore.Options{})
	if err != nil {
		conditions.MarkTrue(obj, sourcev1.BuildFailedCondition, fluxmeta.BuildFailedReason, err.Error())
		return reconcile.Transient(fluxmeta.BuildFailedReason, err)
	}
	conditions.Delete(obj, sourcev1.BuildFailedCondition)
	n.Write = func(ctx context.Context, sto *storage.Storage) (fluxmeta.Artifact, error) {
		return sto.Archive(ctx, sourcev1.GitRepositoryKind, obj.Namespace, obj.Name, st.dir, st.commit.Revision, matcher.Exclude, nil)
	}
	n.Event = fmt.Sprintf("stored artifact for commit '%s'", st.commit.ShortMessage())
	n.Message = fmt.Sprintf("stored artifact for revision '%s'", st.commit.Revision)
	res := st.r.artifacts.Store(ctx, s, n)
	if res.IsDone() {
		obj.Status.IncludedArtifacts = st.included
		obj.Status.ObservedIgnore = obj.Spec.Ignore
		obj.Status.ObservedRecurseSubmodules = obj.Spec.RecurseSubmodules
		obj.Status.ObservedInclude = slices.Clone(obj.Spec.Include)
		obj.Status.ObservedSparseCheckout = slices.Clone(obj.Spec.SparseCheckout)
	}
	return res
}

// copyIncludes copies fromPath of each included artifact to toPath of the checkout,
// replacing what was there.
func (st *state) copyIncludes(obj *sourcev1.GitRepository) reconcile.Result {
	for i, incl := range obj.Spec.Include {
		if err := st.copyInclude(incl, st.included[i]); err != nil {
			err = fmt.Errorf("failed to include '%s': %w", incl.GitRepositoryRef.Name, err)
			conditions.MarkTrue(obj, sourcev1.BuildFailedCondition, fluxmeta.BuildFailedReason, err.Error())
			return reconcile.Transient(fluxmeta.BuildFailedReason, err)
		}
	}
	return reconcile.Result{}
}

func (st *state) copyInclude(incl sourcev1.GitRepositoryInclude, a *fluxmeta.Artifact) error {
	tmp, err := st.tempDir("gitrepository-include-")
	if err != nil {
		return err
	}
	f, err := os.Open(filepath.Join(st.r.artifacts.Storage().Path(), filepath.FromSlash(a.Path)))
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
	if err := checkNoSymlinks(st.dir, incl.GetToPath()); err != nil {
		return err
	}
	dest := filepath.Join(st.dir, filepath.FromSlash(incl.GetToPath()))
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
