package hook

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/go-logr/logr"
	"github.com/prometheus/client_golang/prometheus"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/ferry-gitops/ferry/notification-controller/internal/listen"
	"github.com/ferry-gitops/ferry/notification-controller/internal/oidc"
	"github.com/ferry-gitops/ferry/notification-controller/internal/webhook"
	notificationv1 "github.com/ferry-gitops/ferry/shared/api/notification/v1"
	"github.com/ferry-gitops/ferry/shared/runtime/conditions"
)

// WebhookPathIndex indexes Receivers by status.webhookPath.
const WebhookPathIndex = ".status.webhookPath"

// Options configure the Server.
type Options struct {
	// Addr is the listen address (--receiver-addr).
	Addr string
	// NoCrossNamespaceRefs refuses resources in another namespace than the Receiver's.
	NoCrossNamespaceRefs bool
	// GoogleKeys verifies the ID tokens of gcr Receivers; Google's published keys when nil.
	GoogleKeys *webhook.KeySet
	// OIDCClient reaches the issuers of generic-oidc Receivers; a client with a ten second
	// timeout and the system's roots when nil.
	OIDCClient *http.Client
}

// Server serves the Receivers' webhooks. It runs on every replica: it reads Receivers from
// the cache, their Secrets from the API server, and patches the objects to reconcile.
type Server struct {
	cache    client.Reader
	writer   client.Client
	opts     Options
	log      logr.Logger
	tokens   *tokens
	patches  *coalescer
	filters  *filterCache
	policies *policyCache
	oidc     *oidc.Verifier
	requests *prometheus.CounterVec
}

// New returns the Server of mgr, registering its index of Receivers and its metric.
func New(mgr ctrl.Manager, reg prometheus.Registerer, opts Options, log logr.Logger) (*Server, error) {
	if opts.GoogleKeys == nil {
		opts.GoogleKeys = webhook.NewKeySet(webhook.GoogleCertsURL, nil)
	}
	err := mgr.GetFieldIndexer().IndexField(context.Background(), &notificationv1.Receiver{}, WebhookPathIndex, func(o client.Object) []string {
		if p := o.(*notificationv1.Receiver).Status.WebhookPath; p != "" {
			return []string{p}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("failed to index Receivers by webhook path: %w", err)
	}
	requests := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "ferry_receiver_requests_total",
		Help: "Webhook requests by Receiver type and answer status code.",
	}, []string{"type", "code"})
	if err := reg.Register(requests); err != nil {
		var are prometheus.AlreadyRegisteredError
		if !errors.As(err, &are) {
			return nil, err
		}
		requests = are.ExistingCollector.(*prometheus.CounterVec)
	}
	return &Server{cache: mgr.GetClient(), writer: mgr.GetClient(), opts: opts, log: log,
		tokens: newTokens(mgr.GetAPIReader()), patches: newCoalescer(), filters: newFilterCache(),
		policies: newPolicyCache(), oidc: oidc.NewVerifier(opts.OIDCClient), requests: requests}, nil
}

// NeedLeaderElection implements the manager's LeaderElectionRunnable: every replica serves.
func (s *Server) NeedLeaderElection() bool { return false }

// Start implements the manager's Runnable.
func (s *Server) Start(ctx context.Context) error {
	if err := listen.Serve(ctx, s.opts.Addr, s, 5*time.Second, s.log); err != nil {
		return fmt.Errorf("failed to serve webhooks on %s: %w", s.opts.Addr, err)
	}
	return nil
}

// ServeHTTP implements http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	typ, code, msg := s.handle(w, r)
	s.requests.WithLabelValues(typ, strconv.Itoa(code)).Inc()
	if code >= 400 {
		http.Error(w, msg, code)
		return
	}
	w.WriteHeader(code)
}

// handle answers one request with its status code and a message (never a secret).
func (s *Server) handle(w http.ResponseWriter, r *http.Request) (typ string, code int, msg string) {
	ctx := r.Context()
	if !strings.HasPrefix(r.URL.Path, notificationv1.ReceiverWebhookPath) {
		return "", http.StatusNotFound, "not found"
	}
	recv, err := s.receiver(ctx, r.URL.Path)
	if err != nil || recv == nil {
		return "", http.StatusNotFound, "no receiver at this path"
	}
	typ = recv.Spec.Type
	log := s.log.WithValues("receiver", recv.Namespace+"/"+recv.Name, "type", typ)
	if recv.Spec.Suspend || !conditions.IsReady(recv) {
		return typ, http.StatusServiceUnavailable, "the receiver is suspended or not ready"
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, webhook.MaxBody))
	if err != nil {
		return typ, http.StatusRequestEntityTooLarge, "the body is too large"
	}
	verdict, claims, err := s.authenticate(ctx, recv, webhook.Request{Header: r.Header, Body: body})
	if err != nil {
		code, msg := refusal(err)
		log.Info("refused a webhook request", "code", code, "reason", err.Error())
		return typ, code, msg
	}
	if !verdict.Act {
		log.V(1).Info("webhook request answered without reconciling", "event", verdict.Event)
		return typ, http.StatusOK, ""
	}
	if err := s.requestReconcile(ctx, recv, verdict.Payload, claims); err != nil {
		log.Error(err, "unable to request the reconciliation of the receiver's resources")
		return typ, http.StatusInternalServerError, "failed to request reconciliation"
	}
	log.V(1).Info("reconciliation requested", "event", verdict.Event)
	return typ, http.StatusOK, ""
}

// errTokenChanged means the Receiver's Secret no longer forms the requested path.
var errTokenChanged = errors.New("the receiver's token changed; try again")

// authenticate checks req as recv's type would send it and returns what to do, with the
// verified token claims of a generic-oidc request.
func (s *Server) authenticate(ctx context.Context, recv *notificationv1.Receiver, req webhook.Request) (webhook.Verdict, map[string]any, error) {
	if recv.Spec.Type == notificationv1.GenericOIDCReceiver {
		policy, err := s.policies.get(recv)
		if err != nil {
			return webhook.Verdict{}, nil, fmt.Errorf("%w: %w", errNotServing, err)
		}
		claims, err := s.oidc.Verify(ctx, req.Header, policy)
		if err != nil {
			return webhook.Verdict{}, nil, err
		}
		verdict, err := webhook.Validate(notificationv1.GenericReceiver, req, webhook.Secret{}, nil, webhook.Options{})
		return verdict, claims, err
	}
	secret, err := s.tokens.get(ctx, recv)
	if err != nil || recv.GetWebhookPath(secret.Token) != recv.Status.WebhookPath {
		return webhook.Verdict{}, nil, errTokenChanged
	}
	verdict, err := webhook.Validate(recv.Spec.Type, req, secret, recv.Spec.Events, webhook.Options{GoogleKeys: s.opts.GoogleKeys})
	return verdict, nil, err
}

// errNotServing means the Receiver's spec cannot be used (its reconciler stalls it).
var errNotServing = errors.New("the receiver is not ready")

// refusal is the status code and message answering a request authenticate refused. Only a
// failed validation's messages, written by the Receiver's author, reach the caller.
func refusal(err error) (int, string) {
	switch {
	case errors.Is(err, errTokenChanged):
		return http.StatusServiceUnavailable, errTokenChanged.Error()
	case errors.Is(err, errNotServing):
		return http.StatusServiceUnavailable, "the receiver is suspended or not ready"
	case errors.Is(err, oidc.ErrUnavailable):
		return http.StatusServiceUnavailable, "the OIDC issuer is unavailable; try again"
	case errors.Is(err, oidc.ErrForbidden):
		return http.StatusForbidden, err.Error()
	case errors.Is(err, webhook.ErrUnauthorized):
		return http.StatusUnauthorized, "unauthorized"
	default:
		return http.StatusBadRequest, err.Error()
	}
}

// receiver returns the Receiver serving path, or nil.
func (s *Server) receiver(ctx context.Context, path string) (*notificationv1.Receiver, error) {
	var list notificationv1.ReceiverList
	if err := s.cache.List(ctx, &list, client.MatchingFields{WebhookPathIndex: path}); err != nil {
		return nil, err
	}
	if len(list.Items) == 0 {
		return nil, nil
	}
	return &list.Items[0], nil
}
