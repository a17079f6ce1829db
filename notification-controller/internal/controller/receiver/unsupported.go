package receiver

import (
	notificationv1 "github.com/ferry-gitops/ferry/shared/api/notification/v1"
	"github.com/ferry-gitops/ferry/shared/runtime/unsupported"
)

// unsupportedFields are the Receiver fields Ferry accepts and does not implement
// (docs/api-compatibility.md lists them): OIDC-authenticated generic receivers.
var unsupportedFields = []unsupported.Rule{
	{Path: "spec.type", Values: []string{notificationv1.GenericOIDCReceiver}},
	{Path: "spec.oidcProviders", Message: "spec.oidcProviders is not supported by Ferry: generic-oidc Receivers are not implemented"},
}
