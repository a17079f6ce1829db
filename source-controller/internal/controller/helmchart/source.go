package helmchart

import (
	"context"
	"fmt"

	"k8s.io/apimachinery/pkg/runtime/schema"

	fluxmeta "github.com/ferry-gitops/ferry/shared/api/meta"
	sourcev1 "github.com/ferry-gitops/ferry/shared/api/source/v1"
	"github.com/ferry-gitops/ferry/shared/runtime/reconcile"
	"github.com/ferry-gitops/ferry/shared/runtime/sourceref"
	"github.com/ferry-gitops/ferry/source-controller/internal/controller/helmrepository"
)

// Reasons of HelmChart conditions, as Flux names them.
const (
	// SourceUnavailableReason: the source object is missing or cannot be read.
	SourceUnavailableReason = "SourceUnavailable"
	// NoSourceArtifactReason: the source has no artifact yet.
	NoSourceArtifactReason = "NoSourceArtifact"
	// InvalidChartReferenceReason: the chart or version cannot be found in the source.
	InvalidChartReferenceReason = "InvalidChartReference"
	// ChartPullErrorReason: the chart cannot be downloaded or loaded.
	ChartPullErrorReason = "ChartPullError"
	// ValuesFilesErrorReason: the values files cannot be read or merged.
	ValuesFilesErrorReason = "ValuesFilesError"
	// DependencyBuildErrorReason: a dependency of a chart directory cannot be resolved.
	DependencyBuildErrorReason = "DependencyBuildError"
	// ChartPackageErrorReason: the chart cannot be packaged.
	ChartPackageErrorReason = "ChartPackageError"
	// ChartMetadataPatchErrorReason: the version metadata of the Revision strategy is invalid.
	ChartMetadataPatchErrorReason = "ChartMetadataPatchError"
)

// source reads the chart's source through sourceref.Resolve. A missing source, one without
// an artifact, or a HelmRepository that sets a field Ferry refuses or a provider that cannot
// be used is a wait: the watch on the source wakes the chart.
func (st *state) source(ctx context.Context, s *scope) reconcile.Result {
	obj := s.Obj
	ref := obj.Spec.SourceRef
	if err := checkAPIVersion(ref.APIVersion); err != nil {
		return reconcile.Stalled(fluxmeta.UnsupportedSpecReason, err)
	}
	if res := checkVerify(obj, nil); !res.IsDone() {
		return res
	}
	src, res := sourceref.Resolve(ctx, s.Client, obj, sourceref.Ref{Kind: ref.Kind, Name: ref.Name},
		sourceKinds, st.r.noCrossNamespaceRefs, SourceUnavailableReason)
	if !res.IsDone() {
		return res
	}
	st.src = src
	key := obj.Namespace + "/" + ref.Name
	if repo, ok := src.(*sourcev1.HelmRepository); ok {
		st.repo = repo
		if err := helmrepository.Refused(repo); err != nil {
			return reconcile.Waiting(SourceUnavailableReason, fmt.Errorf("HelmRepository '%s' cannot be used: %w", key, err))
		}
		if res := checkVerify(obj, repo); !res.IsDone() {
			return res
		}
		if repo.IsOCI() {
			return reconcile.Result{}
		}
	}
	if src.GetArtifact() == nil {
		return reconcile.Waiting(NoSourceArtifactReason, fmt.Errorf("no artifact available for %s source '%s'", ref.Kind, key))
	}
	return reconcile.Result{}
}

// sourceRevision is the source artifact's revision, or "" for an OCI repository.
func (st *state) sourceRevision() string {
	if a := st.src.GetArtifact(); a != nil {
		return a.Revision
	}
	return ""
}

// checkAPIVersion accepts an empty sourceRef.apiVersion or any version of the source API
// group: every version names the same objects.
func checkAPIVersion(apiVersion string) error {
	if apiVersion == "" {
		return nil
	}
	gv, err := schema.ParseGroupVersion(apiVersion)
	if err != nil || gv.Group != sourcev1.GroupVersion.Group {
		return fmt.Errorf("invalid sourceRef.apiVersion '%s': expected %s/<version>", apiVersion, sourcev1.GroupVersion.Group)
	}
	return nil
}
