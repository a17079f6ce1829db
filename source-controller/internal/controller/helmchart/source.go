package helmchart

import (
	"context"
	"fmt"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/controller-runtime/pkg/client"

	fluxmeta "github.com/ferry-gitops/ferry/shared/api/meta"
	sourcev1 "github.com/ferry-gitops/ferry/shared/api/source/v1"
	"github.com/ferry-gitops/ferry/shared/runtime/reconcile"
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

// source is the object a chart is taken from.
type source struct {
	obj  sourcev1.Source
	repo *sourcev1.HelmRepository // set for a HelmRepository source
}

// revision is the source artifact's revision, or "" for an OCI repository.
func (s source) revision() string {
	if a := s.obj.GetArtifact(); a != nil {
		return a.Revision
	}
	return ""
}

// getSource reads the chart's source. A missing source, one without an artifact, or a
// HelmRepository that sets a field Ferry refuses is a wait: the watch on the source wakes the
// chart.
func (r *Reconciler) getSource(ctx context.Context, obj *sourcev1.HelmChart) (source, reconcile.Result) {
	ref := obj.Spec.SourceRef
	var src source
	if err := checkAPIVersion(ref.APIVersion); err != nil {
		return src, reconcile.Stalled(fluxmeta.UnsupportedSpecReason, err)
	}
	switch ref.Kind {
	case sourcev1.HelmRepositoryKind:
		src.repo = &sourcev1.HelmRepository{}
		src.obj = src.repo
	case sourcev1.GitRepositoryKind:
		src.obj = &sourcev1.GitRepository{}
	case sourcev1.BucketKind:
		src.obj = &sourcev1.Bucket{}
	default:
		return src, reconcile.Stalled(fluxmeta.UnsupportedSpecReason,
			fmt.Errorf("unsupported source kind %q: expected HelmRepository, GitRepository or Bucket", ref.Kind))
	}
	key := client.ObjectKey{Namespace: obj.Namespace, Name: ref.Name}
	if err := r.rt.Client.Get(ctx, key, src.obj.(client.Object)); err != nil {
		if apierrors.IsNotFound(err) {
			return src, reconcile.Waiting(SourceUnavailableReason, fmt.Errorf("%s '%s' not found", ref.Kind, key))
		}
		return src, reconcile.Transient(SourceUnavailableReason, fmt.Errorf("failed to get %s '%s': %w", ref.Kind, key, err))
	}
	if src.repo != nil {
		if err := helmrepository.Refused(src.repo); err != nil {
			return src, reconcile.Waiting(SourceUnavailableReason, fmt.Errorf("HelmRepository '%s' sets a field Ferry refuses: %w", key, err))
		}
		if src.repo.IsOCI() {
			return src, reconcile.Result{}
		}
	}
	if src.obj.GetArtifact() == nil {
		return src, reconcile.Waiting(NoSourceArtifactReason, fmt.Errorf("no artifact available for %s source '%s'", ref.Kind, key))
	}
	return src, reconcile.Result{}
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
