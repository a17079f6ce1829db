package helmrelease

import (
	"context"
	"errors"
	"strings"

	helmv2 "github.com/ferry-gitops/ferry/shared/api/helm/v2"
	"github.com/ferry-gitops/ferry/shared/helm/values"
	"github.com/ferry-gitops/ferry/shared/runtime/reconcile"
)

// composeValues composes the release's values and records what is being attempted: chart
// version, values digests and generation. A new chart, new values or a new generation resets
// the failure counters, and so does a reset request.
func (st *state) composeValues(ctx context.Context, s *reconcile.Scope[*helmv2.HelmRelease]) reconcile.Result {
	obj := s.Obj
	var inline []byte
	if obj.Spec.Values != nil {
		inline = obj.Spec.Values.Raw
	}
	vals, err := values.Compose(ctx, values.Reader{Client: st.r.apiReader, Namespace: obj.Namespace}, obj.Spec.ValuesFrom, inline)
	var missing *values.MissingError
	switch {
	case errors.As(err, &missing):
		return reconcile.Waiting(helmv2.InitFailedReason, err)
	case errors.Is(err, values.ErrInvalid):
		return reconcile.Stalled(helmv2.InitFailedReason, err)
	case err != nil:
		return reconcile.Transient(helmv2.InitFailedReason, err)
	}
	st.values = vals
	st.valuesDigest = values.Digest(vals)

	version := st.chart.Metadata.Version
	if obj.Status.LastAttemptedRevision != version || obj.Status.LastAttemptedConfigDigest != st.valuesDigest ||
		obj.Status.LastAttemptedGeneration != obj.Generation {
		obj.Status.ClearFailures()
	}
	if helmv2.ShouldHandleResetRequest(obj) {
		obj.Status.ClearFailures()
	}
	obj.Status.LastAttemptedRevision = version
	obj.Status.LastAttemptedRevisionDigest = st.ociDigest
	obj.Status.LastAttemptedConfigDigest = st.valuesDigest
	obj.Status.LastAttemptedValuesChecksum = values.Checksum(vals)
	obj.Status.LastAttemptedGeneration = obj.Generation
	// The event recorder prefixes metadata keys with the API group.
	s.SetRevision(version)
	if st.chart.Metadata.AppVersion != "" {
		s.SetMetadata(eventKey(helmv2.AppVersionEventAnnotation), st.chart.Metadata.AppVersion)
	}
	if st.ociDigest != "" {
		s.SetMetadata(eventKey(helmv2.OCIDigestEventAnnotation), st.ociDigest)
	}
	return reconcile.Done("", "")
}

// eventKey is an event annotation without its API group prefix.
func eventKey(annotation string) string {
	return strings.TrimPrefix(annotation, helmv2.GroupVersion.Group+"/")
}
