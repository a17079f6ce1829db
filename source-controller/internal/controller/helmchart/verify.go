package helmchart

import (
	"context"
	"fmt"

	"github.com/google/go-containerregistry/pkg/name"

	fluxmeta "github.com/ferry-gitops/ferry/shared/api/meta"
	sourcev1 "github.com/ferry-gitops/ferry/shared/api/source/v1"
	"github.com/ferry-gitops/ferry/shared/runtime/conditions"
	"github.com/ferry-gitops/ferry/shared/runtime/reconcile"
	sourcecontroller "github.com/ferry-gitops/ferry/source-controller/internal/controller"
	"github.com/ferry-gitops/ferry/source-controller/internal/verify"
)

// checkVerify stalls a spec.verify that can never work: one that is not complete, or that is
// set on a chart that does not come from an OCI HelmRepository (repo, when the source is
// known), whose charts carry no signature Ferry, like Flux, verifies.
func checkVerify(obj *sourcev1.HelmChart, repo *sourcev1.HelmRepository) reconcile.Result {
	v := obj.Spec.Verify
	if v == nil {
		return reconcile.Result{}
	}
	if err := sourcecontroller.CheckOCIVerification(sourcev1.HelmChartKind, v); err != nil {
		return reconcile.Stalled(fluxmeta.UnsupportedSpecReason, err)
	}
	from := ""
	switch {
	case obj.Spec.SourceRef.Kind != sourcev1.HelmRepositoryKind:
		from = "a " + obj.Spec.SourceRef.Kind
	case repo != nil && !repo.IsOCI():
		from = "a HelmRepository of type default"
	}
	if from != "" {
		return reconcile.Stalled(fluxmeta.UnsupportedSpecReason, fmt.Errorf(
			"spec.verify is not supported by Ferry for charts from %s: only the charts of an OCI HelmRepository (type oci) have signatures that are verified, as in Flux; remove spec.verify", from))
	}
	return reconcile.Result{}
}

// verify checks the signature of the resolved chart version of an OCI HelmRepository as
// spec.verify asks, before it is pulled: the tag is resolved to its digest, whose signature
// is checked and which is then pulled. An up-to-date chart verified under the current spec is
// not checked again.
func (st *state) verify(ctx context.Context, s *scope) reconcile.Result {
	obj := s.Obj
	if obj.Spec.Verify == nil {
		conditions.Delete(obj, sourcev1.SourceVerifiedCondition)
		return reconcile.Result{}
	}
	if st.upToDate && sourcecontroller.VerifiedAt(obj) {
		return reconcile.Result{}
	}
	ctx, cancel := context.WithTimeout(ctx, st.repo.GetTimeout())
	defer cancel()
	digest, err := st.oci.Digest(ctx, obj.Spec.Chart, st.chart.tag)
	if err != nil {
		return st.fetchFailed(obj, pullReason(err), err)
	}
	ref, err := name.NewDigest(st.oci.Ref(obj.Spec.Chart)+"@"+digest, st.oci.NameOptions()...)
	if err != nil {
		return st.fetchFailed(obj, ChartPullErrorReason, fmt.Errorf("invalid chart reference: %w", err))
	}
	st.chart.digest = digest
	return sourcecontroller.VerifyOCIArtifact(ctx, st.r.secrets, obj, obj.Spec.Verify, st.chart.version, ref,
		verify.Registry{Remote: st.oci.RemoteOptions(), Name: st.oci.NameOptions()})
}
