package kubeconfig

import (
	"context"
	"fmt"
	"net/http"
	"sync"
	"time"

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
	issued := time.Now()
	tok, expiry, err := cloud.RequestToken(ctx, s.client, s.namespace, s.name, s.audiences, serviceAccountTokenSeconds)
	if err != nil {
		return "", err
	}
	life := expiry.Sub(issued)
	s.current, s.renew = tok, issued.Add(life*4/5)
	return s.current, nil
}
