package cloud

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"time"

	"cloud.google.com/go/compute/metadata"
	"golang.org/x/oauth2"
	"golang.org/x/oauth2/google/externalaccount"
)

// The object-level workload identity of Google Cloud, as Google documents workload identity
// federation with Kubernetes and GKE, and as Flux reads a ServiceAccount's annotations: a
// token of the ServiceAccount is exchanged at the Security Token Service for a federated
// access token, which then, when the ServiceAccount names a Google service account,
// impersonates it through IAM Credentials.

// googleJWTType is the subject token type of a Kubernetes ServiceAccount token.
const googleJWTType = "urn:ietf:params:oauth:token-type:jwt"

// gkeMetadataTimeout bounds the reading of the GKE cluster's identity from the metadata
// server, which a cluster that is not GKE does not answer.
const gkeMetadataTimeout = 10 * time.Second

// googleProviderName matches the resource name of a workload identity pool provider.
var googleProviderName = regexp.MustCompile(`^projects/[0-9]{1,30}/locations/global/workloadIdentityPools/[a-z0-9-]{1,100}/providers/[a-z0-9-]{1,100}$`)

// googleServiceAccountEmail matches the email of a Google service account
// (<name>@<project>.iam.gserviceaccount.com, and Google's default accounts).
var googleServiceAccountEmail = regexp.MustCompile(`^[a-z0-9-]{1,100}@[a-z0-9.-]{1,100}\.gserviceaccount\.com$`)

// googleFederation is how the tokens of a ServiceAccount become Google access tokens: the
// audience of the tokens asked for, the audience of their exchange at the Security Token
// Service, and the Google service account to impersonate ("" for none).
type googleFederation struct {
	tokenAudience, exchangeAudience, impersonate string
}

// googleFederationOf reads the federation of sa from its annotations: the workload identity
// provider of gcp.auth.fluxcd.io/workload-identity-provider, both audiences being
// //iam.googleapis.com/<provider>; without it, GKE's workload identity, where the tokens are
// for the pool <project>.svc.id.goog and the exchange for
// identitynamespace:<pool>:https://container.googleapis.com/v1/projects/<project>/locations/
// <location>/clusters/<name>, read from the metadata server. The service account of
// iam.gke.io/gcp-service-account is impersonated when set.
func googleFederationOf(ctx context.Context, sa *ServiceAccount) (googleFederation, error) {
	var f googleFederation
	if email := strings.TrimSpace(sa.Annotations[GCPServiceAccountAnnotation]); email != "" {
		if !googleServiceAccountEmail.MatchString(email) {
			return f, fmt.Errorf("ServiceAccount '%s' has an invalid annotation %s: '%s' is not the email of a Google service account (<name>@<project>.iam.gserviceaccount.com)",
				sa, GCPServiceAccountAnnotation, email)
		}
		f.impersonate = email
	}
	if provider := strings.TrimSpace(sa.Annotations[GCPWorkloadIdentityProviderAnnotation]); provider != "" {
		if !googleProviderName.MatchString(provider) {
			return f, fmt.Errorf("ServiceAccount '%s' has an invalid annotation %s: '%s' is not the name of a workload identity pool provider (projects/<number>/locations/global/workloadIdentityPools/<pool>/providers/<provider>)",
				sa, GCPWorkloadIdentityProviderAnnotation, provider)
		}
		f.tokenAudience = "//iam.googleapis.com/" + provider
		f.exchangeAudience = f.tokenAudience
		return f, nil
	}
	project, location, cluster, err := gkeCluster(ctx)
	if err != nil {
		return f, fmt.Errorf("ServiceAccount '%s' has no annotation %s, and the controller is not on GKE (%w): annotate it with the workload identity pool provider that trusts the cluster's tokens, projects/<number>/locations/global/workloadIdentityPools/<pool>/providers/<provider>",
			sa, GCPWorkloadIdentityProviderAnnotation, err)
	}
	pool := project + ".svc.id.goog"
	f.tokenAudience = pool
	f.exchangeAudience = "identitynamespace:" + pool + ":https://container.googleapis.com/v1/projects/" + project +
		"/locations/" + location + "/clusters/" + cluster
	return f, nil
}

// gkeCluster reads the project, the location and the name of the GKE cluster of the
// controller from the metadata server (GCE_METADATA_HOST, else GKE's), within
// gkeMetadataTimeout.
func gkeCluster(ctx context.Context) (project, location, name string, err error) {
	ctx, cancel := context.WithTimeout(ctx, gkeMetadataTimeout)
	defer cancel()
	md := metadata.NewClient(&http.Client{Timeout: gkeMetadataTimeout})
	values := make([]string, 3)
	for i, key := range []string{"project/project-id", "instance/attributes/cluster-location", "instance/attributes/cluster-name"} {
		v, err := md.GetWithContext(ctx, key)
		if err != nil {
			return "", "", "", fmt.Errorf("failed to read %s from the metadata server: %w", key, err)
		}
		if values[i] = strings.TrimSpace(v); values[i] == "" {
			return "", "", "", fmt.Errorf("failed to read %s from the metadata server: it is empty", key)
		}
	}
	return values[0], values[1], values[2], nil
}

// googleServiceAccountToken gets an access token (scope cloud-platform) of the Google
// identity of sa (see googleFederationOf): a token of sa is exchanged at the Security Token
// Service (RFC 8693) for a federated access token, which, when sa names a Google service
// account, gets an access token of that account from IAM Credentials' generateAccessToken.
// A ServiceAccount whose annotations name no usable identity fails, naming the annotation:
// the controller's own identity is never used in its place.
func googleServiceAccountToken(ctx context.Context, sa *ServiceAccount) (Login, error) {
	f, err := googleFederationOf(ctx, sa)
	if err != nil {
		return Login{}, err
	}
	sts, iamCredentials := googleEndpoints()
	conf := externalaccount.Config{
		Audience:             f.exchangeAudience,
		SubjectTokenType:     googleJWTType,
		TokenURL:             sts + "/v1/token",
		Scopes:               []string{googleScope},
		SubjectTokenSupplier: serviceAccountSubject{sa: sa, audience: f.tokenAudience},
		UniverseDomain:       "googleapis.com",
	}
	if f.impersonate != "" {
		conf.ServiceAccountImpersonationURL = iamCredentials + "/v1/projects/-/serviceAccounts/" + f.impersonate + ":generateAccessToken"
	}
	ctx = context.WithValue(ctx, oauth2.HTTPClient, &http.Client{Timeout: time.Minute})
	src, err := externalaccount.NewTokenSource(ctx, conf)
	if err != nil {
		return Login{}, fmt.Errorf("failed to use %s: %w", sa.identity("Google Cloud"), err)
	}
	tok, err := src.Token()
	if err != nil {
		return Login{}, fmt.Errorf("failed to get a Google access token of %s: %w", sa.identity("Google Cloud"), googleTokenError(err))
	}
	return Login{Password: tok.AccessToken, Expiry: tok.Expiry}, nil
}

// serviceAccountSubject supplies a new token of a ServiceAccount, for audience, as the
// subject token of the exchange.
type serviceAccountSubject struct {
	sa       *ServiceAccount
	audience string
}

// SubjectToken requests a token of the ServiceAccount.
func (s serviceAccountSubject) SubjectToken(ctx context.Context, _ externalaccount.SupplierOptions) (string, error) {
	return s.sa.Token(ctx, s.audience)
}

// googleAnswer is the error answer of the Security Token Service (an OAuth error) or of IAM
// Credentials (a Google API error).
type googleAnswer struct {
	Error       json.RawMessage `json:"error"`
	Description string          `json:"error_description"`
}

// googleTokenError words an error of the exchange for users: the service's status, code and
// description in place of the JSON answer the client quotes ("status code 400: {...}").
func googleTokenError(err error) error {
	_, rest, ok := strings.Cut(err.Error(), "status code ")
	if !ok {
		return err
	}
	code, body, ok := strings.Cut(rest, ": ")
	var answer googleAnswer
	if !ok || json.Unmarshal([]byte(body), &answer) != nil {
		return err
	}
	var oauthCode string
	var apiError struct {
		Message string `json:"message"`
		Status  string `json:"status"`
	}
	switch {
	case json.Unmarshal(answer.Error, &oauthCode) == nil && oauthCode != "":
		return wordedError{err: err, msg: fmt.Sprintf("the Security Token Service answered %s: %s (%s)",
			code, strings.TrimSuffix(answer.Description, "."), oauthCode)}
	case json.Unmarshal(answer.Error, &apiError) == nil && apiError.Message != "":
		return wordedError{err: err, msg: fmt.Sprintf("IAM Credentials answered %s: %s (%s)",
			code, strings.TrimSuffix(apiError.Message, "."), apiError.Status)}
	}
	return err
}

// wordedError is an error worded for users, wrapping the client's.
type wordedError struct {
	err error
	msg string
}

// Error returns the wording.
func (e wordedError) Error() string { return e.msg }

// Unwrap returns the client's error.
func (e wordedError) Unwrap() error { return e.err }
