// Package provider creates repositories and registers deploy keys on Git hosting services
// through each service's official Go client: go-github for GitHub, GitLab's client-go and
// Gitea's SDK. bootstrap github|gitlab|gitea call it before pushing.
package provider

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net/http"
	"strings"
)

// Kind names a Git hosting service.
type Kind string

// The services bootstrap supports, with the host each one defaults to.
const (
	GitHub Kind = "github"
	GitLab Kind = "gitlab"
	Gitea  Kind = "gitea"
)

// DefaultHostname returns the public host of the service.
func (k Kind) DefaultHostname() string {
	switch k {
	case GitHub:
		return "github.com"
	case GitLab:
		return "gitlab.com"
	}
	return "gitea.com"
}

// TokenEnv names the environment variable that holds the service's token, as flux reads it.
func (k Kind) TokenEnv() string { return strings.ToUpper(string(k)) + "_TOKEN" }

// RepositoryOptions say how to create a missing repository.
type RepositoryOptions struct {
	// Personal creates it for the authenticated user instead of the owner organization or
	// group.
	Personal bool
	// Private makes it private.
	Private bool
	// Description describes it.
	Description string
	// DefaultBranch is its initial branch.
	DefaultBranch string
}

// Repository is a repository of the service and how to reach it.
type Repository struct {
	// CloneURL is the HTTPS clone URL.
	CloneURL string
	// SSHURL is the SSH clone URL.
	SSHURL string
	// Created is set when the repository was created.
	Created bool
}

// DeployKey is a public key with access to one repository.
type DeployKey struct {
	// Title names the key on the service.
	Title string
	// Key is the public key in authorized_keys form.
	Key string
	// ReadOnly denies pushes with the key.
	ReadOnly bool
}

// Provider is the part of a service's API bootstrap uses.
type Provider interface {
	// EnsureRepository returns owner/name, creating it when missing.
	EnsureRepository(ctx context.Context, owner, name string, opts RepositoryOptions) (Repository, error)
	// EnsureDeployKey registers key on owner/name unless a key of the same title and value
	// is there; a key of the same title and another value is replaced. It reports whether
	// it changed anything.
	EnsureDeployKey(ctx context.Context, owner, name string, key DeployKey) (bool, error)
}

// Options configure a Provider.
type Options struct {
	// Hostname is the service's host (and port); the public one when empty.
	Hostname string
	// Token authenticates the API calls.
	Token string
	// CABundle (PEM) is trusted besides the system's authorities.
	CABundle []byte
}

// New returns the Provider of kind.
func New(kind Kind, opts Options) (Provider, error) {
	if opts.Hostname == "" {
		opts.Hostname = kind.DefaultHostname()
	}
	if opts.Token == "" {
		return nil, fmt.Errorf("a %s token is required (set %s)", kind, kind.TokenEnv())
	}
	hc, err := httpClient(opts.CABundle)
	if err != nil {
		return nil, err
	}
	switch kind {
	case GitHub:
		return newGitHub(opts, hc)
	case GitLab:
		return newGitLab(opts, hc)
	case Gitea:
		return newGitea(opts, hc)
	}
	return nil, fmt.Errorf("unknown Git provider %q", kind)
}

// httpClient returns a client that trusts the system's authorities and caBundle.
func httpClient(caBundle []byte) (*http.Client, error) {
	if len(caBundle) == 0 {
		return &http.Client{}, nil
	}
	pool, err := x509.SystemCertPool()
	if err != nil {
		pool = x509.NewCertPool()
	}
	if !pool.AppendCertsFromPEM(caBundle) {
		return nil, fmt.Errorf("failed to read the CA bundle: no PEM certificate")
	}
	transport := http.DefaultTransport.(*http.Transport).Clone()
	transport.TLSClientConfig = &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}
	return &http.Client{Transport: transport}, nil
}

// sameKey reports whether two authorized_keys lines hold the same key, whatever their
// comments.
func sameKey(a, b string) bool {
	fa, fb := strings.Fields(a), strings.Fields(b)
	return len(fa) >= 2 && len(fb) >= 2 && fa[0] == fb[0] && fa[1] == fb[1]
}
