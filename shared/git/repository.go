package git

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"time"

	"sigs.k8s.io/controller-runtime/pkg/client"

	sourcev1 "github.com/ferry-gitops/ferry/shared/api/source/v1"
	"github.com/ferry-gitops/ferry/shared/cloud"
	"github.com/ferry-gitops/ferry/shared/secrets"
)

// ForRepositoryAs builds the Auth of a GitRepository from the Secrets it names, read with c
// in its namespace: spec.secretRef (credentials, TLS material, SSH identity and known_hosts)
// and spec.proxySecretRef. It checks that the Auth can reach spec.url, without contacting it;
// an SSH URL without a Secret is told to name one. With spec.provider github, the credentials
// are a GitHub App installation token; with spec.provider azure, an Entra ID token for Azure
// DevOps, from tokens, of the Azure identity of sa (spec.serviceAccountName, object-level
// workload identity) or of the controller's identity when sa is nil; with spec.provider aws,
// CodeCommit credentials signed with the AWS identity of sa or the controller's. Errors never
// quote a Secret's value.
func ForRepositoryAs(ctx context.Context, c client.Reader, tokens *cloud.Cache, repo *sourcev1.GitRepository, sa *cloud.ServiceAccount) (*Auth, error) {
	auth := &Auth{}
	var secretData map[string][]byte
	if ref := repo.Spec.SecretRef; ref != nil && ref.Name != "" {
		secret, err := secrets.Get(ctx, c, repo.Namespace, ref.Name)
		if err != nil {
			return nil, err
		}
		secretData = secret.Data
		if auth, err = AuthFromSecret(secret.Data); err != nil {
			return nil, err
		}
	}
	if ref := repo.Spec.ProxySecretRef; ref != nil && ref.Name != "" {
		secret, err := secrets.Get(ctx, c, repo.Namespace, ref.Name)
		if err != nil {
			return nil, err
		}
		if err := auth.SetProxyFromSecret(secret.Data); err != nil {
			return nil, err
		}
	}
	switch repo.Spec.Provider {
	case sourcev1.GitProviderGitHub:
		if err := auth.asGitHubApp(ctx, repo, secretData); err != nil {
			return nil, err
		}
	case sourcev1.GitProviderAzure:
		if err := auth.asAzureIdentity(ctx, tokens, repo, sa); err != nil {
			return nil, err
		}
	case sourcev1.GitProviderAWS:
		if err := auth.asCodeCommit(ctx, tokens, repo, sa); err != nil {
			return nil, err
		}
	}
	if err := auth.Check(repo.Spec.URL); err != nil {
		if repo.Spec.SecretRef == nil && IsSSH(repo.Spec.URL) {
			err = fmt.Errorf("%w: set spec.secretRef to a Secret with 'identity' and 'known_hosts'", err)
		}
		return nil, err
	}
	return auth, nil
}

// asGitHubApp makes a authenticate as the GitHub App installation of spec.secretRef
// (githubAppID, githubAppInstallationID, githubAppPrivateKey, optional githubAppBaseURL): an
// installation access token, sent as the password of x-access-token. The token request goes
// through the Secret's CA bundle and the proxy of spec.proxySecretRef.
func (a *Auth) asGitHubApp(ctx context.Context, repo *sourcev1.GitRepository, data map[string][]byte) error {
	if repo.Spec.SecretRef == nil || repo.Spec.SecretRef.Name == "" {
		return fmt.Errorf("spec.provider github needs spec.secretRef naming a Secret with %s, %s and %s",
			GitHubAppIDKey, GitHubAppInstallationIDKey, GitHubAppPrivateKeyKey)
	}
	if IsSSH(repo.Spec.URL) {
		return errors.New("spec.provider github authenticates over HTTPS only: use an https:// URL")
	}
	app, err := gitHubAppFromSecret(data)
	if err != nil {
		return err
	}
	hc, err := a.apiClient()
	if err != nil {
		return err
	}
	token, err := app.token(ctx, hc)
	if err != nil {
		return err
	}
	a.Username, a.Password, a.BearerToken = GitHubAppUsername, token, ""
	return nil
}

// asAzureIdentity makes a authenticate to Azure DevOps with an Entra ID access token of the
// controller's Azure identity (workload or managed identity), or of sa's when it is not nil,
// sent as a bearer token. The Secret of spec.secretRef may give TLS material, not
// credentials: they would be ignored.
func (a *Auth) asAzureIdentity(ctx context.Context, tokens *cloud.Cache, repo *sourcev1.GitRepository, sa *cloud.ServiceAccount) error {
	if IsSSH(repo.Spec.URL) {
		return errors.New("spec.provider azure authenticates over HTTPS only: use an https:// URL")
	}
	if a.Username != "" || a.Password != "" || a.BearerToken != "" {
		return errors.New("spec.provider azure takes the credentials from the controller's Azure identity (or that of spec.serviceAccountName): remove username, password and bearerToken from the Secret of spec.secretRef, or set spec.provider to generic")
	}
	tok, err := tokens.AzureTokenAs(ctx, cloud.AzureDevOpsScope, sa)
	if err != nil {
		return err
	}
	a.BearerToken = tok.Password
	return nil
}

// asCodeCommit makes a sign in to the AWS CodeCommit repository of repo with the AWS identity
// of sa, or the controller's when sa is nil: Git HTTP basic credentials signed with its IAM
// credentials, cached in tokens. The Secret of spec.secretRef may give TLS material, not
// credentials: they would be ignored.
func (a *Auth) asCodeCommit(ctx context.Context, tokens *cloud.Cache, repo *sourcev1.GitRepository, sa *cloud.ServiceAccount) error {
	if a.Username != "" || a.Password != "" || a.BearerToken != "" {
		return errors.New("spec.provider aws takes the credentials from the controller's AWS identity (or that of spec.serviceAccountName): remove username, password and bearerToken from the Secret of spec.secretRef, or set spec.provider to generic")
	}
	l, err := tokens.CodeCommitLogin(ctx, repo.Spec.URL, sa)
	if err != nil {
		return err
	}
	a.Username, a.Password = l.Username, l.Password
	return nil
}

// apiClient is an HTTP client for a provider's API: a's CA bundle and proxy.
func (a *Auth) apiClient() (*http.Client, error) {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	if len(a.CAData) > 0 {
		pool, err := x509.SystemCertPool()
		if err != nil {
			pool = x509.NewCertPool()
		}
		if !pool.AppendCertsFromPEM(a.CAData) {
			return nil, errors.New("failed to read ca.crt: no PEM certificate")
		}
		tr.TLSClientConfig = &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}
	}
	if a.Proxy.URL != "" {
		u, err := url.Parse(a.Proxy.URL)
		if err != nil {
			return nil, fmt.Errorf("failed to read the proxy address: %w", err)
		}
		if a.Proxy.Username != "" {
			u.User = url.UserPassword(a.Proxy.Username, a.Proxy.Password)
		}
		tr.Proxy = http.ProxyURL(u)
	}
	return &http.Client{Transport: tr, Timeout: 30 * time.Second}, nil
}
