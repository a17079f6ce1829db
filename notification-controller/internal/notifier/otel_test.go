package notifier

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"strings"
	"sync"
	"testing"

	coltracepb "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	commonpb "go.opentelemetry.io/proto/otlp/common/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
	"google.golang.org/protobuf/proto"
)

// collector is a local OTLP/HTTP traces endpoint that decodes each request.
type collector struct {
	mu    sync.Mutex
	spans []*tracepb.Span
	rs    []*tracepb.ResourceSpans
	// answer, when set, is the ExportTraceServiceResponse it answers.
	answer *coltracepb.ExportTraceServiceResponse
}

func (c *collector) serve(r *http.Request, body []byte) (int, string, error) {
	var req coltracepb.ExportTraceServiceRequest
	if err := errors.Join(
		expect(r.Method == http.MethodPost && r.URL.Path == "/v1/traces", "request "+r.Method+" "+r.URL.Path,
			r.Header.Get("Content-Type") == "application/x-protobuf", "content type "+r.Header.Get("Content-Type"),
			r.Header.Get("Authorization") == "Bearer otel-token", "no bearer token"),
		proto.Unmarshal(body, &req),
	); err != nil {
		return 0, "", err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, rs := range req.GetResourceSpans() {
		c.rs = append(c.rs, rs)
		for _, ss := range rs.GetScopeSpans() {
			c.spans = append(c.spans, ss.GetSpans()...)
		}
	}
	if c.answer == nil {
		return http.StatusOK, "", nil
	}
	answer, _ := proto.Marshal(c.answer)
	return http.StatusOK, string(answer), nil
}

// attr returns a span or resource attribute's string value.
func attr(kvs interface {
	GetAttributes() []*commonpb.KeyValue
}, key string) string {
	for _, kv := range kvs.GetAttributes() {
		if kv.GetKey() == key {
			return kv.GetValue().GetStringValue()
		}
	}
	return ""
}

// TestOTel: a source's event starts the trace of its Alert and revision, and the event of a
// Kustomization applying that revision is a child span in the same trace, with the object
// and the metadata as attributes; an error event's span has an error status. HelmRepository
// events send nothing.
func TestOTel(t *testing.T) {
	c := &collector{}
	s := newService(t, c.serve)
	n, err := New(Config{Type: "otel", Address: s.URL + "/v1/traces", Token: "otel-token", ProviderUID: "p-uid"})
	if err != nil {
		t.Fatal(err)
	}
	ctx := WithAlert(context.Background(), Alert{Namespace: "flux-system", Name: "traces", UID: "alert-uid"})

	source := sampleEvent("info")
	source.InvolvedObject.Kind, source.InvolvedObject.Name, source.InvolvedObject.UID = "GitRepository", "repo", "repo-uid"
	source.Message = "stored artifact"
	ks := sampleEvent("error")
	helmRepo := sampleEvent("info")
	helmRepo.InvolvedObject.Kind = "HelmRepository"
	for _, ev := range []Event{source, ks, helmRepo} {
		if err := n.Post(ctx, ev); err != nil {
			t.Fatalf("Post %s: %v", ev.InvolvedObject.Kind, err)
		}
	}
	for _, v := range s.verdicts() {
		if v != nil {
			t.Fatalf("the collector refused a request: %v", v)
		}
	}
	if len(c.spans) != 2 {
		t.Fatalf("%d spans, want 2 (none for the HelmRepository)", len(c.spans))
	}
	root, child := c.spans[0], c.spans[1]
	if len(root.GetTraceId()) != 16 || len(root.GetSpanId()) != 8 || len(root.GetParentSpanId()) != 0 {
		t.Fatalf("source span ids: trace %x span %x parent %x", root.GetTraceId(), root.GetSpanId(), root.GetParentSpanId())
	}
	if !bytes.Equal(child.GetTraceId(), root.GetTraceId()) || !bytes.Equal(child.GetParentSpanId(), root.GetSpanId()) ||
		bytes.Equal(child.GetSpanId(), root.GetSpanId()) {
		t.Fatalf("the Kustomization's span is not the source span's child: %x/%x/%x vs %x/%x", child.GetTraceId(),
			child.GetSpanId(), child.GetParentSpanId(), root.GetTraceId(), root.GetSpanId())
	}
	if child.GetName() != "Kustomization: flux-system/apps" || attr(child, "object.kind") != "Kustomization" ||
		attr(child, "object.uid") != string(ks.InvolvedObject.UID) || attr(child, "revision") != "main@sha1:"+sha ||
		attr(child, "summary") != "prod cluster" {
		t.Fatalf("span %q attributes %v", child.GetName(), child.GetAttributes())
	}
	if child.GetStatus().GetCode() != tracepb.Status_STATUS_CODE_ERROR || child.GetStatus().GetMessage() != ks.Message ||
		root.GetStatus().GetCode() != tracepb.Status_STATUS_CODE_OK {
		t.Fatalf("statuses %v, %v", root.GetStatus(), child.GetStatus())
	}
	if child.GetStartTimeUnixNano() != uint64(ks.Timestamp.UnixNano()) || child.GetEndTimeUnixNano() < child.GetStartTimeUnixNano() {
		t.Fatalf("span times %d..%d", child.GetStartTimeUnixNano(), child.GetEndTimeUnixNano())
	}
	if res := c.rs[1].GetResource(); attr(res, "service.name") != "flux-system/traces" || attr(res, "service.instance.id") != "alert-uid" {
		t.Fatalf("resource %v", res.GetAttributes())
	}

	// Another revision is another trace.
	next := source
	next.Metadata = map[string]string{RevisionKey: "main@sha1:fedcba9876543210fedcba9876543210fedcba98"}
	if err := n.Post(ctx, next); err != nil {
		t.Fatal(err)
	}
	if bytes.Equal(c.spans[2].GetTraceId(), root.GetTraceId()) {
		t.Fatal("a new revision joined the previous revision's trace")
	}
}

// TestOTelRejectedSpan: a collector that rejects the span fails the post for good.
func TestOTelRejectedSpan(t *testing.T) {
	c := &collector{answer: &coltracepb.ExportTraceServiceResponse{PartialSuccess: &coltracepb.ExportTracePartialSuccess{
		RejectedSpans: 1, ErrorMessage: "span too old"}}}
	s := newService(t, c.serve)
	n, err := New(Config{Type: "otel", Address: s.URL + "/v1/traces", Token: "otel-token"})
	if err != nil {
		t.Fatal(err)
	}
	if err := n.Post(t.Context(), sampleEvent("info")); err == nil || Retryable(err) || !strings.Contains(err.Error(), "span too old") {
		t.Fatalf("Post = %v, want a permanent failure with the collector's reason", err)
	}
}

// TestOTelAuthentication: a username and password go as basic authentication, a password
// alone as a bearer token; the address must be an http(s) URL.
func TestOTelAuthentication(t *testing.T) {
	for _, tt := range []struct {
		cfg  Config
		want string
	}{
		{Config{Username: "u", Password: "p"}, "Basic dTpw"},
		{Config{Password: "p"}, "Bearer p"},
		{Config{Token: "t"}, "Bearer t"},
		{Config{}, ""},
	} {
		tt.cfg.Type, tt.cfg.Address = "otel", "http://127.0.0.1:4318/v1/traces"
		n, err := New(tt.cfg)
		if err != nil {
			t.Fatal(err)
		}
		if got := n.(*otelTracer).auth; got != tt.want {
			t.Errorf("%+v: Authorization %q, want %q", tt.cfg, got, tt.want)
		}
	}
	if _, err := New(Config{Type: "otel", Address: "collector:4318"}); err == nil {
		t.Fatal("an address without a scheme was accepted")
	}
}
