package notifier

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
)

// The tests of this package run each notifier against a local HTTP server that checks every
// request as the real service would (method, path, headers, authentication, payload shape,
// written from the service's public API documentation) and answers as the service does.

// sha is the commit of the sample events.
const sha = "0123456789abcdef0123456789abcdef01234567"

// sampleEvent is an event kustomize-controller sends when a build fails.
func sampleEvent(severity string) Event {
	return Event{
		InvolvedObject: corev1.ObjectReference{Kind: "Kustomization", Name: "apps", Namespace: "flux-system",
			APIVersion: "kustomize.toolkit.fluxcd.io/v1", UID: "6d2f7f0e-1111-2222-3333-444455556666"},
		Severity:            severity,
		Timestamp:           time.Date(2025, 5, 1, 12, 0, 0, 0, time.UTC),
		Message:             "kustomize build failed: accumulating resources",
		Reason:              "BuildFailed",
		Metadata:            map[string]string{RevisionKey: "main@sha1:" + sha, SummaryKey: "prod cluster"},
		ReportingController: "kustomize-controller",
	}
}

// check inspects one request: it returns the status and body to answer, or an error saying
// what a real service would refuse.
type check func(r *http.Request, body []byte) (status int, answer string, err error)

// service is a local stand-in of a notification service.
type service struct {
	*httptest.Server
	requests chan error
}

// newService starts a service that runs c on every request and records its verdict.
func newService(t *testing.T, c check) *service {
	t.Helper()
	s := &service{requests: make(chan error, 16)}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		status, answer, err := c(r, body)
		s.requests <- err
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		w.WriteHeader(status)
		_, _ = io.WriteString(w, answer)
	}))
	t.Cleanup(s.Close)
	return s
}

// verdicts returns the verdicts of the requests received so far.
func (s *service) verdicts() []error {
	var out []error
	for {
		select {
		case err := <-s.requests:
			out = append(out, err)
		default:
			return out
		}
	}
}

// post builds the notifier of cfg and posts ev, failing the test unless the service accepted
// exactly want requests.
func post(t *testing.T, s *service, cfg Config, ev Event, want int) {
	t.Helper()
	n, err := New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	postTo(t, s, n, ev, want)
}

// postTo posts ev through n, failing the test unless the service accepted exactly want
// requests.
func postTo(t *testing.T, s *service, n Notifier, ev Event, want int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	postErr := n.Post(ctx, ev)
	got := s.verdicts()
	for _, v := range got {
		if v != nil {
			t.Errorf("the service refused a request: %v", v)
		}
	}
	if postErr != nil {
		t.Fatalf("Post: %v", postErr)
	}
	if len(got) != want {
		t.Fatalf("the service got %d requests, want %d", len(got), want)
	}
}

// expect returns an error naming the first of the conditions that does not hold.
func expect(conds ...any) error {
	for i := 0; i+1 < len(conds); i += 2 {
		if ok, _ := conds[i].(bool); !ok {
			return fmt.Errorf("%v", conds[i+1])
		}
	}
	return nil
}

// jsonBody decodes a request's JSON body.
func jsonBody(r *http.Request, body []byte, into any) error {
	if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		return fmt.Errorf("content type %q, want application/json", ct)
	}
	if err := json.Unmarshal(body, into); err != nil {
		return fmt.Errorf("body is not the expected JSON: %v", err)
	}
	return nil
}

// obj is a decoded JSON object.
type obj = map[string]any

// str reads a string at a path of nested JSON objects (and array indexes as ints).
func str(v any, path ...any) string {
	for _, p := range path {
		switch k := p.(type) {
		case string:
			m, _ := v.(map[string]any)
			v = m[k]
		case int:
			a, _ := v.([]any)
			if k >= len(a) {
				return ""
			}
			v = a[k]
		}
	}
	s, _ := v.(string)
	return s
}

// TestUnsupportedTypesRefusedByName: every type of Flux's enum is either built or refused
// with a message naming it.
func TestUnsupportedTypesRefusedByName(t *testing.T) {
	for typ := range Unsupported {
		_, err := New(Config{Type: typ, Address: "https://127.0.0.1:1", Token: "t", Channel: "c"})
		if err == nil || !strings.Contains(err.Error(), "spec.type "+typ+" is not supported by Ferry") {
			t.Errorf("%s: err = %v", typ, err)
		}
	}
	if len(Unsupported)+len(Implemented()) != 32 {
		t.Errorf("%d implemented + %d refused types; Flux 2.9's enum has 32", len(Implemented()), len(Unsupported))
	}
}

// TestRetryable: server errors, timeouts and throttling are retried; other client errors and
// refusals stated in an answer are not.
func TestRetryable(t *testing.T) {
	tests := []struct {
		err  error
		want bool
	}{
		{&HTTPError{Status: 500}, true},
		{&HTTPError{Status: 503}, true},
		{&HTTPError{Status: 429}, true},
		{&HTTPError{Status: 408}, true},
		{&HTTPError{Status: 400}, false},
		{&HTTPError{Status: 401}, false},
		{&HTTPError{Status: 404}, false},
		{fmt.Errorf("refused: %w", errPermanent), false},
		{fmt.Errorf("dial tcp: connection refused"), true},
		{context.Canceled, false},
		{nil, false},
	}
	for _, tt := range tests {
		if got := Retryable(tt.err); got != tt.want {
			t.Errorf("Retryable(%v) = %v, want %v", tt.err, got, tt.want)
		}
	}
}
