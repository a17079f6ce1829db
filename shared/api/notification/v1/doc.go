// Package v1 holds the notification.toolkit.fluxcd.io/v1 API: the Receiver kind, which
// turns incoming webhooks into reconcile requests for toolkit objects, together with the
// object references, condition reasons and finalizer shared by the notification kinds. It
// imports only apimachinery and the shared meta types.
//
// +kubebuilder:object:generate=true
// +groupName=notification.toolkit.fluxcd.io
package v1
