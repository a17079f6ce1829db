// Package ui serves `ferry ui`: a web page, on 127.0.0.1 only, that draws the GitOps graph
// of a cluster (sources, Kustomizations and HelmReleases, the objects they applied, image
// automation and alerts) and keeps it live by watching the API server with the user's own
// credentials. The page is embedded in the binary. Every request needs the per-run token
// the command prints; the page writes nothing but the reconcile, suspend and resume
// actions, which run the CLI's own verbs.
package ui

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"time"

	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/ferry-gitops/ferry/cli/internal/kinds"
)

// Actions are the CLI verbs the page may run; each writes its progress lines to log.
type Actions interface {
	// Reconcile requests a reconciliation of ref (of its source first, with withSource)
	// and waits for its outcome, as `ferry reconcile` does.
	Reconcile(ctx context.Context, ref kinds.Ref, withSource bool, log io.Writer) error
	// Suspend sets spec.suspend of ref, as `ferry suspend` does.
	Suspend(ctx context.Context, ref kinds.Ref, log io.Writer) error
	// Resume clears spec.suspend of ref and waits for its reconciliation, as `ferry resume`
	// does.
	Resume(ctx context.Context, ref kinds.Ref, log io.Writer) error
}

// Options configure a Server.
type Options struct {
	// Config reaches the API server with the user's credentials.
	Config *rest.Config
	// Client reads through Config: the objects of inventories, events, access reviews.
	Client client.Client
	// Namespace limits the graph to one namespace; empty watches every namespace.
	Namespace string
	// Actions runs the page's actions; nil makes the page read-only.
	Actions Actions
	// ActionTimeout bounds one action, its wait included.
	ActionTimeout time.Duration
	// Token is the secret every request must carry; a random one when empty.
	Token string
	// Log receives a line per action the page runs; io.Discard when nil.
	Log io.Writer
}

// Server is the page's HTTP server and the graph it serves.
type Server struct {
	opts    Options
	store   *store
	access  *access
	watcher *watcher
	mux     *http.ServeMux
}

// New prepares a server; Start begins watching the cluster.
func New(opts Options) (*Server, error) {
	if opts.Token == "" {
		var err error
		if opts.Token, err = NewToken(); err != nil {
			return nil, err
		}
	}
	if opts.Log == nil {
		opts.Log = io.Discard
	}
	if opts.ActionTimeout <= 0 {
		opts.ActionTimeout = 5 * time.Minute
	}
	dyn, err := dynamic.NewForConfig(opts.Config)
	if err != nil {
		return nil, fmt.Errorf("failed to create the dynamic client: %w", err)
	}
	s := &Server{opts: opts, store: newStore(), access: newAccess(opts.Client)}
	s.watcher = newWatcher(dyn, opts.Client.RESTMapper(), s.store, s.access, opts.Namespace)
	s.mux = s.routes()
	return s, nil
}

// NewToken returns a random token of 256 bits, in hex.
func NewToken() (string, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("failed to generate the token: %w", err)
	}
	return hex.EncodeToString(b), nil
}

// Token returns the secret every request must carry.
func (s *Server) Token() string { return s.opts.Token }

// Start runs the informers until ctx ends and waits until they have listed every kind.
func (s *Server) Start(ctx context.Context, syncTimeout time.Duration) error {
	if err := s.watcher.start(ctx); err != nil {
		return err
	}
	wctx, cancel := context.WithTimeout(ctx, syncTimeout)
	defer cancel()
	return s.watcher.waitSynced(wctx)
}

// Snapshot returns the graph as the page receives it first.
func (s *Server) Snapshot() Snapshot {
	snap := s.store.snapshot()
	snap.Namespace, snap.ReadOnly = s.opts.Namespace, s.opts.Actions == nil
	return snap
}

// Listen opens a listener on 127.0.0.1 at port (any free port when 0).
func Listen(port int) (net.Listener, error) {
	l, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)))
	if err != nil {
		return nil, fmt.Errorf("failed to listen on 127.0.0.1:%d: %w", port, err)
	}
	return l, nil
}

// URL returns the address the user opens: the listener's, with the token.
func (s *Server) URL(l net.Listener) string {
	return "http://" + l.Addr().String() + "/?token=" + s.opts.Token
}

// Serve answers requests on l until ctx ends.
func (s *Server) Serve(ctx context.Context, l net.Listener) error {
	srv := &http.Server{Handler: s, ReadHeaderTimeout: 10 * time.Second, BaseContext: func(net.Listener) context.Context { return ctx }}
	done := make(chan struct{})
	go func() {
		defer close(done)
		<-ctx.Done()
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(sctx)
	}()
	err := srv.Serve(l)
	<-done
	if errors.Is(err, http.ErrServerClosed) {
		return nil
	}
	return err
}

// tokenCookie is the prefix of the cookie that carries the token once the page has been
// opened; the port follows, since browsers share cookies between the ports of a host and
// two ferry ui may run at once.
const tokenCookie = "ferry_ui_token_"

// cookieName is the name of the token's cookie for the port the request was sent to.
func cookieName(r *http.Request) string {
	_, port, _ := net.SplitHostPort(r.Host)
	return tokenCookie + port
}

// tokenHeader carries the token on the page's own requests; writes require it, so another
// site cannot send one with the cookie alone.
const tokenHeader = "X-Ferry-Token"

// ServeHTTP checks the host and the token, then routes the request.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Content-Security-Policy", "default-src 'self'; frame-ancestors 'none'")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("Cache-Control", "no-store")
	if !loopbackHost(r.Host) {
		http.Error(w, "ferry ui answers on 127.0.0.1 only", http.StatusForbidden)
		return
	}
	if r.Method == http.MethodGet && r.URL.Path == "/" && s.validToken(r.URL.Query().Get("token")) {
		// The token moves from the address bar into a cookie the page's requests carry.
		http.SetCookie(w, &http.Cookie{Name: cookieName(r), Value: s.opts.Token, Path: "/", HttpOnly: true, SameSite: http.SameSiteStrictMode})
		http.Redirect(w, r, "/", http.StatusSeeOther)
		return
	}
	if !s.authorized(r) {
		http.Error(w, "ferry ui: missing or wrong token: open the URL that ferry ui printed", http.StatusUnauthorized)
		return
	}
	s.mux.ServeHTTP(w, r)
}

// authorized reports whether r carries the token: in the header, or (for reads only) in
// the cookie.
func (s *Server) authorized(r *http.Request) bool {
	if tok := r.Header.Get(tokenHeader); tok != "" {
		return s.validToken(tok)
	}
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		return false
	}
	c, err := r.Cookie(cookieName(r))
	return err == nil && s.validToken(c.Value)
}

// validToken compares tok with the token in constant time.
func (s *Server) validToken(tok string) bool {
	return tok != "" && subtle.ConstantTimeCompare([]byte(tok), []byte(s.opts.Token)) == 1
}

// loopbackHost reports whether the Host header names the loopback interface, so that a
// page of another site cannot reach the server by rebinding its DNS name to 127.0.0.1.
func loopbackHost(host string) bool {
	name, _, err := net.SplitHostPort(host)
	if err != nil {
		name = host
	}
	if name == "localhost" {
		return true
	}
	ip := net.ParseIP(name)
	return ip != nil && ip.IsLoopback()
}
