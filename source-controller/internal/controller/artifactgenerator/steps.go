package artifactgenerator

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	fluxmeta "github.com/ferry-gitops/ferry/shared/api/meta"
	sourceextv1beta1 "github.com/ferry-gitops/ferry/shared/api/sourceext/v1beta1"
	"github.com/ferry-gitops/ferry/shared/artifact"
	"github.com/ferry-gitops/ferry/shared/runtime/reconcile"
	"github.com/ferry-gitops/ferry/shared/runtime/sourceref"
	"github.com/ferry-gitops/ferry/source-controller/internal/generator"
)

// validate stalls on a spec that cannot work until it changes: an alias used but not
// declared, two sources of one alias or artifacts of one name, a path leaving its root.
func (st *state) validate(_ context.Context, s *scope) reconcile.Result {
	if err := generator.Validate(&s.Obj.Spec); err != nil {
		return reconcile.Stalled(sourceextv1beta1.ValidationFailedReason, err)
	}
	return reconcile.Result{}
}

// resolveSources reads every source through sourceref.Resolve. A source that is missing or
// has no artifact yet is waited for (its watch wakes the generator); one in another namespace
// under --no-cross-namespace-refs stalls the generator.
func (st *state) resolveSources(ctx context.Context, s *scope) reconcile.Result {
	obj := s.Obj
	st.sources = map[string]sourceref.Source{}
	for _, src := range obj.Spec.Sources {
		ref := sourceref.Ref{Kind: src.Kind, Namespace: src.Namespace, Name: src.Name}
		got, res := sourceref.Resolve(ctx, s.Client, obj, ref, sourceKinds, st.r.noCrossNamespaceRefs, sourceextv1beta1.SourceFetchFailedReason)
		if !res.IsDone() {
			return res
		}
		if got.GetArtifact() == nil {
			return reconcile.Waiting(sourceextv1beta1.SourceFetchFailedReason,
				fmt.Errorf("Source '%s/%s/%s' has no artifact yet", src.Kind, got.GetNamespace(), got.GetName()))
		}
		st.sources[src.Alias] = got
	}
	st.digest = sourcesDigest(obj.Spec.Sources, st.sources)
	return reconcile.Result{}
}

// sourcesDigest is a digest of the artifacts the sources hold, by alias: when it is the one
// the published artifacts were composed from, they need not be composed again. The artifacts'
// URLs are left out, as they move with source-controller's advertised address.
func sourcesDigest(refs []sourceextv1beta1.SourceReference, sources map[string]sourceref.Source) string {
	lines := make([]string, 0, len(refs))
	for _, ref := range refs {
		src := sources[ref.Alias]
		a := src.GetArtifact()
		lines = append(lines, fmt.Sprintf("%s=%s/%s/%s %s %s %s", ref.Alias, ref.Kind, src.GetNamespace(), src.GetName(),
			a.Digest, a.Revision, a.Metadata[sourceextv1beta1.OriginRevisionAnnotation]))
	}
	sort.Strings(lines)
	return fmt.Sprintf("sha256:%x", sha256.Sum256([]byte(strings.Join(lines, "\n"))))
}

// compose fetches the sources' artifacts and composes every artifact of the spec (with
// spec.pathPattern, every instance for a directory it matches) into a directory of its own,
// unless the published ones are up to date. What the sources hold (a glob matching nothing, a
// path that does not exist, YAML that does not merge, a directory name that gives no valid
// artifact name) stalls the generator until a source or the spec changes; the sources'
// watches wake it.
func (st *state) compose(ctx context.Context, s *scope) reconcile.Result {
	obj := s.Obj
	if st.upToDate = st.published(ctx, s); st.upToDate {
		st.artifacts = make([]generator.Artifact, 0, len(obj.Status.Inventory))
		for _, ref := range obj.Status.Inventory {
			st.artifacts = append(st.artifacts, generator.Artifact{OutputArtifact: sourceextv1beta1.OutputArtifact{Name: ref.Name}})
		}
		return reconcile.Result{}
	}
	var err error
	if st.tmp, err = os.MkdirTemp("", "artifactgenerator-"); err != nil {
		return reconcile.Transient(fluxmeta.BuildFailedReason, fmt.Errorf("failed to create temporary directory: %w", err))
	}
	dirs := map[string]string{}
	for _, ref := range obj.Spec.Sources {
		src := st.sources[ref.Alias]
		a := src.GetArtifact()
		dir := filepath.Join(st.tmp, "sources", ref.Alias)
		if err := artifact.Fetch(ctx, st.r.downloads, a.URL, a.Digest, a.Size, dir, artifact.Limits{}); err != nil {
			return reconcile.Transient(sourceextv1beta1.SourceFetchFailedReason,
				fmt.Errorf("failed to fetch the artifact of %s '%s/%s': %w", ref.Kind, src.GetNamespace(), src.GetName(), err))
		}
		dirs[ref.Alias] = dir
	}
	if st.artifacts, err = generator.Expand(ctx, &obj.Spec, dirs); err != nil {
		return buildFailed(err)
	}
	st.composed = make([]string, len(st.artifacts))
	for i, a := range st.artifacts {
		dir := filepath.Join(st.tmp, "artifacts", strconv.Itoa(i))
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return reconcile.Transient(fluxmeta.BuildFailedReason, fmt.Errorf("failed to create temporary directory: %w", err))
		}
		if err := generator.Apply(ctx, a.Copy, dirs, dir); err != nil {
			return buildFailed(fmt.Errorf("artifact '%s': %w", a.Name, err))
		}
		st.composed[i] = dir
	}
	return reconcile.Result{}
}

// buildFailed stalls the generator on an error caused by the spec or the sources' content,
// and retries one caused by the local disk.
func buildFailed(err error) reconcile.Result {
	if errors.Is(err, generator.ErrBuild) || errors.Is(err, generator.ErrInvalid) {
		return reconcile.Stalled(fluxmeta.BuildFailedReason, err)
	}
	return reconcile.Transient(fluxmeta.BuildFailedReason, err)
}
