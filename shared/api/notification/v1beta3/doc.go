// Package v1beta3 holds the notification.toolkit.fluxcd.io/v1beta3 API: the Provider kind,
// which describes where and how notifications are sent, and the Alert kind, which chooses
// the events to forward to a Provider. Neither kind has a status. The package imports only
// apimachinery, the shared meta types and the group's v1 package.
//
// +kubebuilder:object:generate=true
// +groupName=notification.toolkit.fluxcd.io
package v1beta3
