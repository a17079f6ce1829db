package kubeconfig

import (
	"context"
	"fmt"
	"net/http"
	"sync"
	"time"

	authenticationv1 "k8s.io/api/authentication/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/ferry-gitops/ferry/shared/cloud"
)

// serviceAccountTokenSeconds is the life asked for ServiceAccount tokens; the API server may
// shorten it.
const serviceAccountTokenSeconds = 3600

// tokenFunc returns a bearer token valid for the next request.
type tokenFunc func(ctx context.Context) (string, error)

// restConfig returns a configuration reaching s.address, trusting s.ca, that sends the
// bearer token of s.provider with every request.
func (l *Loader) restConfig(s *settings) (*rest.Config, error) {
	var tok tokenFunc
	switch s.provider {
	case cloud.Generic:
		if l.Client == nil {
			return nil, fmt.Errorf("failed to request ServiceAccount tokens: the controller has no client of its cluster")
		}
		sa := &serviceAccountTokens{client: l.Client, namespace: s.namespace, name: s.account, audiences: s.audiences}
		tok = sa.token
	case cloud.Azure:
		tok = func(ctx context.Context) (string, error) {
			t, err := l.Tokens.AzureToken(ctx, AKSScope)
			return t.Password, err
		}
	case cloud.GCP:
		tok = func(ctx context.Context) (string, error) {
			t, err := l.Tokens.GoogleToken(ctx)
			return t.Password, err
		}
	case cloud.AWS:
		arn := s.cluster
		tok = func(ctx context.Context) (string, error) {
			t, err := l.Tokens.EKSToken(ctx, arn)
			return t.Password, err
		}
	}
	cfg := &rest.Config{Host: s.address, TLSClientConfig: rest.TLSClientConfig{CAData: s.ca}}
	cfg.Wrap(func(rt http.RoundTripper) http.RoundTripper {
		return &bearer{next: rt, token: tok, provider: s.provider}
	})
	return cfg, nil
}

// bearer sets the Authorization header of each request to a token of its source.
type bearer struct {
	next     http.RoundTripper
	token    tokenFunc
	provider string
}

// RoundTrip sends req with the current token.
func (b *bearer) RoundTrip(req *http.Request) (*http.Response, error) {
	tok, err := b.token(req.Context())
	if err != nil {
		if req.Body != nil {
			_ = req.Body.Close()
		}
		return nil, fmt.Errorf("failed to get a %s token for the remote cluster: %w", b.provider, err)
	}
	r := req.Clone(req.Context())
	r.Header.Set("Authorization", "Bearer "+tok)
	return b.next.RoundTrip(r)
}

// WrappedRoundTripper returns the transport that b wraps.
func (b *bearer) WrappedRoundTripper() http.RoundTripper { return b.next }

// serviceAccountTokens requests tokens of one ServiceAccount through the TokenRequest API,
// and keeps each until a fifth of its life is left.
type serviceAccountTokens struct {
	client    client.Client
	namespace string
	name      string
	audiences []string

	mu      sync.Mutex
	current string
	renew   time.Time
}

// token returns the current token, requesting a new one when it is due.
func (s *serviceAccountTokens) token(ctx context.Context) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.current != "" && time.Now().Before(s.renew) {
		return s.current, nil
	}
	seconds := int64(serviceAccountTokenSeconds)
	req := &authenticationv1.TokenRequest{Spec: authenticationv1.TokenRequestSpec{Audiences: s.audiences, ExpirationSeconds: &seconds}}
	sa := &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Namespace: s.namespace, Name: s.name}}
	issued := time.Now()
	if err := s.client.SubResource("token").Create(ctx, sa, req); err != nil {
		return "", fmt.Errorf("failed to request a token of ServiceAccount '%s/%s': %w", s.namespace, s.name, err)
	}
	if req.Status.Token == "" {
		return "", fmt.Errorf("failed to request a token of ServiceAccount '%s/%s': the answer holds none", s.namespace, s.name)
	}
	life := req.Status.ExpirationTimestamp.Sub(issued)
	if life <= 0 {
		life = serviceAccountTokenSeconds * time.Second
	}
	s.current, s.renew = req.Status.Token, issued.Add(life*4/5)
	return s.current, nil
}
