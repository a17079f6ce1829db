package v2

import "github.com/ferry-gitops/ferry/shared/api/meta"

const (
	// HelmReleaseKind is the kind name of HelmRelease.
	HelmReleaseKind = "HelmRelease"

	// HelmReleaseFinalizer is the finalizer the controller puts on a HelmRelease so that it can
	// uninstall the release before the object goes away.
	HelmReleaseFinalizer = "finalizers.fluxcd.io"
)

const (
	// ForceRequestAnnotation asks for a one-off Helm install or upgrade even when nothing
	// changed. It is honoured only when its value equals the reconcile request annotation.
	ForceRequestAnnotation = meta.ForceRequestAnnotation

	// ResetRequestAnnotation asks for the failure counters to be reset so that remediation
	// can retry. It is honoured only when its value equals the reconcile request annotation.
	ResetRequestAnnotation = meta.ResetRequestAnnotation

	// DriftDetectionMetadataKey is the label or annotation that, set to
	// DriftDetectionDisabledValue on a rendered object, leaves that object out of drift
	// detection.
	DriftDetectionMetadataKey = "helm.toolkit.fluxcd.io/driftDetection"

	// DriftDetectionDisabledValue is the value of DriftDetectionMetadataKey that disables drift
	// detection for an object.
	DriftDetectionDisabledValue = "disabled"

	// NameLabel is the label holding the name of the HelmRelease on the objects it renders.
	NameLabel = "helm.toolkit.fluxcd.io/name"

	// NamespaceLabel is the label holding the namespace of the HelmRelease on the objects it
	// renders.
	NamespaceLabel = "helm.toolkit.fluxcd.io/namespace"

	// RevisionEventAnnotation carries the chart version (and OCI digest prefix) in the metadata
	// of the controller's events.
	RevisionEventAnnotation = "helm.toolkit.fluxcd.io/revision"

	// AppVersionEventAnnotation carries the chart's appVersion in the metadata of events.
	AppVersionEventAnnotation = "helm.toolkit.fluxcd.io/app-version"

	// OCIDigestEventAnnotation carries the digest of the chart's OCI artifact in the metadata
	// of events, when there is one.
	OCIDigestEventAnnotation = "helm.toolkit.fluxcd.io/oci-digest"
)

// ShouldHandleForceRequest reports whether a force request is pending and must be acted on
// now. It records the request value in status.lastHandledForceAt whenever the annotation is
// present, so that each request value is acted on at most once.
func ShouldHandleForceRequest(obj *HelmRelease) bool {
	return handleRequest(obj, ForceRequestAnnotation, &obj.Status.LastHandledForceAt)
}

// ShouldHandleResetRequest reports whether a reset request is pending and must be acted on
// now. It records the request value in status.lastHandledResetAt whenever the annotation is
// present, so that each request value is acted on at most once.
func ShouldHandleResetRequest(obj *HelmRelease) bool {
	return handleRequest(obj, ResetRequestAnnotation, &obj.Status.LastHandledResetAt)
}

// handleRequest implements the token protocol shared by the force and reset annotations: the
// request counts only when its value equals a reconcile request that has not been handled
// yet, and when that value was not already handled as a request of this kind.
func handleRequest(obj *HelmRelease, annotation string, lastHandled *string) bool {
	requestAt, ok := obj.GetAnnotations()[annotation]
	if !ok {
		return false
	}
	previous := *lastHandled
	*lastHandled = requestAt
	reconcileAt, ok := meta.GetRequestedAt(obj)
	if !ok || reconcileAt != requestAt {
		return false
	}
	return obj.Status.LastHandledReconcileAt != reconcileAt && previous != requestAt
}
