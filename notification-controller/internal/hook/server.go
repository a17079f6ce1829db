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
		tokens: newTokens(mgr.GetAPIReader()), patches: newCoalescer(), filters: newFilterCache(), requests: requests}, nil
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
	secret, err := s.tokens.get(ctx, recv)
	if err != nil || recv.GetWebhookPath(secret.Token) != r.URL.Path {
		return typ, http.StatusServiceUnavailable, "the receiver's token changed; try again"
	}
	verdict, err := webhook.Validate(typ, webhook.Request{Header: r.Header, Body: body}, secret, recv.Spec.Events, webhook.Options{GoogleKeys: s.opts.GoogleKeys})
	switch {
	case errors.Is(err, webhook.ErrUnauthorized):
		log.Info("refused a webhook request", "reason", err.Error())
		return typ, http.StatusUnauthorized, "unauthorized"
	case err != nil:
		log.Info("refused a webhook request", "reason", err.Error())
		return typ, http.StatusBadRequest, err.Error()
	case !verdict.Act:
		log.V(1).Info("webhook request answered without reconciling", "event", verdict.Event)
		return typ, http.StatusOK, ""
	}
	if err := s.requestReconcile(ctx, recv, verdict.Payload); err != nil {
		log.Error(err, "unable to request the reconciliation of the receiver's resources")
		return typ, http.StatusInternalServerError, "failed to request reconciliation"
	}
	log.V(1).Info("reconciliation requested", "event", verdict.Event)
	return typ, http.StatusOK, ""
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
