package notifier

import (
	"context"
	"fmt"
	"time"

	"golang.org/x/oauth2"

	notificationv1beta3 "github.com/ferry-gitops/ferry/shared/api/notification/v1beta3"
)

// Identity is the cloud identity of the Kubernetes ServiceAccount a Provider names in
// spec.serviceAccountName (object-level workload identity, as Flux's notification-controller
// has it): the types that talk to a cloud authenticate with it instead of the Secret's
// credentials or the controller's own identity. Its failures name the ServiceAccount and
// what it lacks; it never falls back to the controller's identity.
type Identity interface {
	// GoogleToken returns an OAuth access token of its Google identity and its expiry.
	GoogleToken(ctx context.Context) (token string, expiry time.Time, err error)
	// AzureToken returns an Entra ID access token of its Azure identity for scope.
	AzureToken(ctx context.Context, scope string) (string, error)
}

// IdentityTypes are the implemented types that authenticate with spec.serviceAccountName's
// identity, each with the cloud it is of.
var IdentityTypes = map[string]string{
	notificationv1beta3.GooglePubSubProvider:  "Google Cloud",
	notificationv1beta3.AzureDevOpsProvider:   "Azure",
	notificationv1beta3.AzureEventHubProvider: "Azure",
}

// UsesControllerIdentity reports whether a notifier of c, without c.Identity, logs in with the
// controller's own cloud identity: googlepubsub without a key in its Secret, azureeventhub
// with neither a token nor a connection string. (--default-service-account replaces that
// identity with a ServiceAccount's.)
func UsesControllerIdentity(c Config) bool {
	switch c.Type {
	case notificationv1beta3.GooglePubSubProvider:
		return c.Token == ""
	case notificationv1beta3.AzureEventHubProvider:
		return c.Token == "" && !isConnectionString(c.Address)
	}
	return false
}

// azureDevOpsScope is the scope of Entra ID tokens for Azure DevOps (its application ID), as
// Microsoft documents it.
const azureDevOpsScope = "499b84ac-1321-427f-aa17-267ca6975798/.default"

// VerifyIdentity gets a token of c.Identity for c.Type's cloud, so that a ServiceAccount that
// cannot give one (missing, or without the annotations naming its identity) fails before an
// event needs it. It does nothing without an identity.
func VerifyIdentity(ctx context.Context, c Config) error {
	if c.Identity == nil {
		return nil
	}
	var err error
	switch c.Type {
	case notificationv1beta3.GooglePubSubProvider:
		_, _, err = c.Identity.GoogleToken(ctx)
	case notificationv1beta3.AzureDevOpsProvider:
		_, err = c.Identity.AzureToken(ctx, azureDevOpsScope)
	case notificationv1beta3.AzureEventHubProvider:
		_, err = c.Identity.AzureToken(ctx, eventHubsScope)
	default:
		return fmt.Errorf("spec.type %s does not authenticate with spec.serviceAccountName", c.Type)
	}
	return err
}

// staticCredential refuses a Secret's token next to spec.serviceAccountName: a Provider has
// one way to authenticate, as in Flux.
func staticCredential(c *Config) error {
	if c.Identity != nil && c.Token != "" {
		return fmt.Errorf("%s provider authenticates with the identity of spec.serviceAccountName: remove 'token' from the secret of spec.secretRef, or remove spec.serviceAccountName", c.Type)
	}
	return nil
}

// googleIdentitySource is the oauth2.TokenSource of an Identity's Google tokens, asked within
// ctx.
type googleIdentitySource struct {
	ctx context.Context
	id  Identity
}

// Token implements oauth2.TokenSource.
func (s googleIdentitySource) Token() (*oauth2.Token, error) {
	tok, expiry, err := s.id.GoogleToken(s.ctx)
	if err != nil {
		return nil, err
	}
	return &oauth2.Token{AccessToken: tok, TokenType: "Bearer", Expiry: expiry}, nil
}
