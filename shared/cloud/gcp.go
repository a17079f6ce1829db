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

// googleLogin gets an access token for the registry at host of the Google identity of sa
// (see googleServiceAccountToken), or of the controller's when sa is nil.
func googleLogin(ctx context.Context, host string, sa *ServiceAccount) (Login, error) {
	if err := CheckRegistryHost(GCP, host); err != nil {
		return Login{}, err
	}
	l, err := googleTokenOf(ctx, sa, " for '"+host+"'")
	if err != nil {
		return Login{}, err
	}
	l.Username = googleRegistryUser
	return l, nil
}

// googleTokenOf gets an access token of the Google identity of sa (see
// googleServiceAccountToken), or of the controller's when sa is nil; forWhat ends the
// message of the controller's failure (" for '<host>'").
func googleTokenOf(ctx context.Context, sa *ServiceAccount, forWhat string) (Login, error) {
	if sa != nil {
		return googleServiceAccountToken(ctx, sa)
	}
	l, err := googleAccessToken(ctx)
	if err != nil {
		return Login{}, fmt.Errorf("failed to get a Google access token%s: %w", forWhat, err)
	}
	return l, nil
}

// GoogleToken returns an OAuth access token of the controller's Google identity:
// GoogleTokenAs without a ServiceAccount.
func (c *Cache) GoogleToken(ctx context.Context) (Login, error) {
	return c.GoogleTokenAs(ctx, nil)
}

// GoogleTokenAs returns an OAuth access token (scope cloud-platform) of the Google identity
// that sa's annotations name (object-level workload identity, see googleServiceAccountToken),
// or of the controller's identity when sa is nil, as GKE's API server and Google's APIs accept
// it, cached, apart for every identity, until shortly before it expires.
func (c *Cache) GoogleTokenAs(ctx context.Context, sa *ServiceAccount) (Login, error) {
	key := GCP + "/token/" + googleScope + sa.cacheKey()
	if l, ok := c.get(key); ok {
		return l, nil
	}
	l, err := googleTokenOf(ctx, sa, "")
	if err != nil {
		return Login{}, err
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
