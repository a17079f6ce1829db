package notifier

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"net/http"
	"time"

	coltracepb "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	commonpb "go.opentelemetry.io/proto/otlp/common/v1"
	resourcepb "go.opentelemetry.io/proto/otlp/resource/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
	"google.golang.org/protobuf/proto"
)

// Alert names the Alert a delivery is for: the otel type derives traces and the service of
// its spans from it.
type Alert struct {
	Namespace, Name, UID string
}

// alertKey carries the Alert of a delivery.
type alertKey struct{}

// WithAlert returns ctx carrying the Alert a delivery is for.
func WithAlert(ctx context.Context, a Alert) context.Context {
	return context.WithValue(ctx, alertKey{}, a)
}

// AlertOf returns the Alert ctx carries (WithAlert), ok=false when it carries none.
func AlertOf(ctx context.Context) (a Alert, ok bool) {
	a, ok = ctx.Value(alertKey{}).(Alert)
	return a, ok
}

// sourceKinds are the kinds whose spans start a trace; the spans of the objects that apply
// their revision (Kustomizations, …) are their children.
var sourceKinds = map[string]bool{
	"GitRepository": true, "OCIRepository": true, "Bucket": true, "HelmChart": true, "ExternalArtifact": true,
}

// otelContentType is the content type of a protobuf-encoded OTLP/HTTP request.
const otelContentType = "application/x-protobuf"

// otelTracer sends each event as one OpenTelemetry span, protobuf-encoded, to an OTLP/HTTP
// traces endpoint (the address, e.g. http://collector:4318/v1/traces). The spans of one
// Alert and one revision share a trace, whose ID is derived from the Alert's UID and the
// revision: a source's span (GitRepository, OCIRepository, Bucket, HelmChart,
// ExternalArtifact) is the trace's root, and the span of any other object with that revision
// is its child, so that a source's new revision and the Kustomizations that apply it show as
// one trace. HelmRepository events (index updates, no revision to follow) are not sent. The
// Secret's token (or a password alone) is sent as a bearer token, a username and password as
// basic authentication; its headers are sent as well.
type otelTracer struct {
	client
	auth string
}

func newOTel(c *Config, h *http.Client) (Notifier, error) {
	if err := c.need(needs{address: true}); err != nil {
		return nil, err
	}
	n := &otelTracer{client: client{c, h}}
	switch {
	case c.Username != "" && c.Password != "":
		n.auth = "Basic " + base64.StdEncoding.EncodeToString([]byte(c.Username+":"+c.Password))
	case c.Token != "":
		n.auth = "Bearer " + c.Token
	case c.Password != "":
		n.auth = "Bearer " + c.Password
	}
	return n, nil
}

// Post implements Notifier.
func (n *otelTracer) Post(ctx context.Context, ev Event) error {
	if ev.InvolvedObject.Kind == "HelmRepository" {
		return nil
	}
	alert, ok := AlertOf(ctx)
	if !ok {
		alert = Alert{Name: "notification-controller", UID: n.c.ProviderUID}
	}
	body, err := proto.Marshal(otelRequest(alert, ev, time.Now()))
	if err != nil {
		return fmt.Errorf("failed to encode the span: %w", err)
	}
	r := request{url: n.c.Address, raw: body, contentType: otelContentType}
	if n.auth != "" {
		r.header = map[string]string{"Authorization": n.auth}
	}
	answer, err := n.send(ctx, r)
	if err != nil {
		return err
	}
	var res coltracepb.ExportTraceServiceResponse
	if proto.Unmarshal(answer, &res) == nil && res.GetPartialSuccess().GetRejectedSpans() > 0 {
		return fmt.Errorf("the collector rejected the span: %s: %w", truncate(res.GetPartialSuccess().GetErrorMessage(), 200), errPermanent)
	}
	return nil
}

// otelRequest returns the OTLP export request holding the span of ev, ended at now.
func otelRequest(alert Alert, ev Event, now time.Time) *coltracepb.ExportTraceServiceRequest {
	o := ev.InvolvedObject
	rev := ev.Metadata[RevisionKey]
	if rev == "" {
		rev = "unknown"
	}
	traceSum := sha256.Sum256([]byte(alert.UID + ":" + rev))
	objectSum := sha256.Sum256([]byte(string(o.UID) + ":" + rev))
	span := &tracepb.Span{
		TraceId: traceSum[:16],
		SpanId:  objectSum[:8],
		Name:    fmt.Sprintf("%s: %s/%s", o.Kind, o.Namespace, o.Name),
		Kind:    tracepb.Span_SPAN_KIND_INTERNAL,
		Status:  &tracepb.Status{Code: tracepb.Status_STATUS_CODE_OK},
	}
	// The root span's ID comes from the trace's digest, so that its children name it
	// without knowing the source.
	if sourceKinds[o.Kind] {
		span.SpanId = traceSum[16:24]
	} else {
		span.ParentSpanId = traceSum[16:24]
	}
	if isError(ev) {
		span.Status = &tracepb.Status{Code: tracepb.Status_STATUS_CODE_ERROR, Message: ev.Message}
	}
	start := ev.Timestamp
	if start.IsZero() {
		start = now
	}
	span.StartTimeUnixNano = uint64(start.UnixNano())
	span.EndTimeUnixNano = uint64(max(now.UnixNano(), start.UnixNano()))
	span.Attributes = []*commonpb.KeyValue{
		otelString("object.uid", string(o.UID)), otelString("object.kind", o.Kind),
		otelString("object.name", o.Name), otelString("object.namespace", o.Namespace),
		otelString("event.reason", ev.Reason), otelString("event.message", ev.Message),
	}
	for _, f := range fields(ev) {
		span.Attributes = append(span.Attributes, otelString(f.Key, f.Value))
	}
	service := alert.Name
	if alert.Namespace != "" {
		service = alert.Namespace + "/" + alert.Name
	}
	return &coltracepb.ExportTraceServiceRequest{ResourceSpans: []*tracepb.ResourceSpans{{
		Resource: &resourcepb.Resource{Attributes: []*commonpb.KeyValue{
			otelString("service.name", service), otelString("service.namespace", alert.Namespace),
			otelString("service.instance.id", alert.UID),
		}},
		ScopeSpans: []*tracepb.ScopeSpans{{
			Scope: &commonpb.InstrumentationScope{Name: "notification-controller"},
			Spans: []*tracepb.Span{span},
		}},
	}}}
}

// otelString is a string attribute.
func otelString(key, value string) *commonpb.KeyValue {
	return &commonpb.KeyValue{Key: key, Value: &commonpb.AnyValue{Value: &commonpb.AnyValue_StringValue{StringValue: value}}}
}
