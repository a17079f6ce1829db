package cloud

import (
	"context"
	"fmt"
	"strings"

	"golang.org/x/oauth2/google"
)

// googleScope is the OAuth scope of the access token asked for: Artifact Registry and
// Container Registry accept cloud-platform.
const googleScope = "https://www.googleapis.com/auth/cloud-platform"

// googleRegistryUser is the username that goes with an OAuth access token, as Google
// documents for Artifact Registry and Container Registry.
const googleRegistryUser = "oauth2accesstoken"

// isGoogleRegistry reports whether host is Container Registry's (gcr.io, <region>.gcr.io)
// or Artifact Registry's (<location>-docker.pkg.dev).
func isGoogleRegistry(host string) bool {
	h := hostname(host)
	return h == "gcr.io" || strings.HasSuffix(h, ".gcr.io") || strings.HasSuffix(h, "-docker.pkg.dev")
}

// googleLogin gets an access token of the controller's Google identity for the registry at
// host.
func googleLogin(ctx context.Context, host string) (Login, error) {
	if err := CheckRegistryHost(GCP, host); err != nil {
		return Login{}, err
	}
	l, err := googleAccessToken(ctx)
	if err != nil {
		return Login{}, fmt.Errorf("failed to get a Google access token for '%s': %w", host, err)
	}
	l.Username = googleRegistryUser
	return l, nil
}

// GoogleToken returns an OAuth access token of the controller's Google identity (scope
// cloud-platform), as GKE's API server accepts it, cached until shortly before it expires.
func (c *Cache) GoogleToken(ctx context.Context) (Login, error) {
	key := GCP + "/token/" + googleScope
	if l, ok := c.get(key); ok {
		return l, nil
	}
	l, err := googleAccessToken(ctx)
	if err != nil {
		return Login{}, fmt.Errorf("failed to get a Google access token: %w", err)
	}
	c.put(key, l)
	return l, nil
}

// googleAccessToken gets an access token of the controller's Google identity: Application
// Default Credentials (GOOGLE_APPLICATION_CREDENTIALS, including workload identity
// federation configurations, or the metadata server of GKE and Compute Engine). The token
// is the Login's Password.
func googleAccessToken(ctx context.Context) (Login, error) {
	creds, err := google.FindDefaultCredentials(ctx, googleScope)
	if err != nil {
		return Login{}, fmt.Errorf("failed to find the Google credentials of the controller: %w", err)
	}
	tok, err := creds.TokenSource.Token()
	if err != nil {
		return Login{}, err
	}
	return Login{Password: tok.AccessToken, Expiry: tok.Expiry}, nil
}
