package notifier

import (
	"context"
	"net/http"
	"regexp"
	"strings"
	"time"
)

// alertmanager posts one firing alert to Alertmanager's v2 API (…/api/v2/alerts): labels
// alertname "Flux<Kind><Reason>", severity, reason, kind, name, namespace and the metadata;
// annotations message and summary; startsAt the event's time. Basic authentication comes
// from the address's user information, a token is sent as a bearer token.
type alertmanager struct {
	client
}

func newAlertmanager(c *Config, h *http.Client) (Notifier, error) {
	if err := c.need(needs{address: true}); err != nil {
		return nil, err
	}
	return &alertmanager{client: client{c, h}}, nil
}

// labelRE matches what a Prometheus label name may not hold.
var labelRE = regexp.MustCompile(`[^a-zA-Z0-9_]`)

// Post implements Notifier.
func (n *alertmanager) Post(ctx context.Context, ev Event) error {
	o := ev.InvolvedObject
	labels := map[string]string{}
	annotations := map[string]string{"message": ev.Message}
	for _, f := range fields(ev) {
		if f.Key == SummaryKey {
			annotations[SummaryKey] = f.Value
			continue
		}
		labels[labelRE.ReplaceAllString(f.Key, "_")] = f.Value
	}
	for k, v := range map[string]string{
		"alertname": "Flux" + o.Kind + ev.Reason, "severity": ev.Severity, "reason": ev.Reason,
		"kind": o.Kind, "name": o.Name, "namespace": o.Namespace,
	} {
		labels[k] = v
	}
	alert := map[string]any{"labels": labels, "annotations": annotations, "startsAt": timestamp(ev).Format(time.RFC3339)}
	r := request{url: n.c.Address, body: []map[string]any{alert}}
	if n.c.Token != "" {
		r.header = map[string]string{"Authorization": "Bearer " + n.c.Token}
	}
	_, err := n.send(ctx, r)
	return err
}

// timestamp is the event's time, or now when it has none.
func timestamp(ev Event) time.Time {
	if ev.Timestamp.IsZero() {
		return time.Now().UTC()
	}
	return ev.Timestamp.UTC()
}

// grafana creates an annotation through Grafana's HTTP API (…/api/annotations), tagged
// "flux", the reporting controller, "kind: …", "name: …", "namespace: …" and "<key>: <value>"
// per metadata entry. A token is sent as a bearer token, else username and password as basic
// authentication.
type grafana struct {
	client
}

func newGrafana(c *Config, h *http.Client) (Notifier, error) {
	if err := c.need(needs{address: true}); err != nil {
		return nil, err
	}
	return &grafana{client: client{c, h}}, nil
}

// Post implements Notifier.
func (n *grafana) Post(ctx context.Context, ev Event) error {
	o := ev.InvolvedObject
	tags := []string{"flux", ev.ReportingController, "kind: " + o.Kind, "name: " + o.Name, "namespace: " + o.Namespace}
	for _, f := range fields(ev) {
		tags = append(tags, f.Key+": "+f.Value)
	}
	body := map[string]any{
		"time": timestamp(ev).UnixMilli(), "tags": tags,
		"text": strings.Join([]string{object(ev), ev.Message}, ": "),
	}
	r := request{url: n.c.Address, body: body}
	switch {
	case n.c.Token != "":
		r.header = map[string]string{"Authorization": "Bearer " + n.c.Token}
	case n.c.Username != "":
		r.user, r.password = n.c.Username, n.c.Password
	}
	_, err := n.send(ctx, r)
	return err
}

// opsgenie creates an alert through Opsgenie's Alert API v2, with the metadata as details.
type opsgenie struct {
	client
}

func newOpsgenie(c *Config, h *http.Client) (Notifier, error) {
	if err := c.need(needs{address: true, token: true}); err != nil {
		return nil, err
	}
	return &opsgenie{client: client{c, h}}, nil
}

// Post implements Notifier.
func (n *opsgenie) Post(ctx context.Context, ev Event) error {
	details := map[string]string{}
	for _, f := range fields(ev) {
		details[f.Key] = f.Value
	}
	priority := "P5"
	if isError(ev) {
		priority = "P3"
	}
	body := map[string]any{
		"message":     truncate(object(ev)+": "+ev.Message, 130),
		"description": ev.Message,
		"alias":       truncate(strings.ToLower(object(ev)+"/"+ev.Reason), 512),
		"source":      ev.ReportingController,
		"tags":        []string{"flux", ev.InvolvedObject.Kind, ev.Severity},
		"details":     details,
		"priority":    priority,
	}
	_, err := n.send(ctx, request{url: n.c.Address, body: body,
		header: map[string]string{"Authorization": "GenieKey " + n.c.Token}})
	return err
}

// pagerDuty sends events to PagerDuty's Events API v2, routed by the integration key in
// spec.channel: an error triggers an incident keyed by the object; an info event resolves
// it and is sent as a change event too.
type pagerDuty struct {
	client
}

func newPagerDuty(c *Config, h *http.Client) (Notifier, error) {
	if err := c.need(needs{address: true, channel: "the integration's routing key"}); err != nil {
		return nil, err
	}
	return &pagerDuty{client: client{c, h}}, nil
}

// Post implements Notifier.
func (n *pagerDuty) Post(ctx context.Context, ev Event) error {
	details := map[string]string{"message": ev.Message}
	for _, f := range fields(ev) {
		details[f.Key] = f.Value
	}
	dedup := strings.ToLower(object(ev))
	payload := map[string]any{
		"summary": truncate(object(ev)+": "+ev.Message, 1024), "source": ev.ReportingController,
		"severity": map[bool]string{true: "error", false: "info"}[isError(ev)], "custom_details": details,
		"timestamp": timestamp(ev).Format(time.RFC3339),
	}
	action := "trigger"
	if !isError(ev) {
		action = "resolve"
	}
	event := map[string]any{"routing_key": n.c.Channel, "event_action": action, "dedup_key": dedup, "payload": payload}
	u, err := joinURL(n.c.Address, "v2", "enqueue")
	if err != nil {
		return err
	}
	if _, err := n.send(ctx, request{url: u, body: event}); err != nil || isError(ev) {
		return err
	}
	change := map[string]any{"routing_key": n.c.Channel, "payload": map[string]any{
		"summary": truncate(object(ev)+": "+ev.Message, 1024), "source": ev.ReportingController,
		"timestamp": timestamp(ev).Format(time.RFC3339), "custom_details": details,
	}}
	if u, err = joinURL(n.c.Address, "v2", "change", "enqueue"); err != nil {
		return err
	}
	_, err = n.send(ctx, request{url: u, body: change})
	return err
}

// datadog posts an event to Datadog's Events API v1 (…/api/v1/events) with the API key in
// DD-API-KEY, tagged flux, kind, name, namespace and "<key>:<value>" per metadata entry.
type datadog struct {
	client
}

func newDatadog(c *Config, h *http.Client) (Notifier, error) {
	if err := c.need(needs{address: true, token: true}); err != nil {
		return nil, err
	}
	return &datadog{client: client{c, h}}, nil
}

// Post implements Notifier.
func (n *datadog) Post(ctx context.Context, ev Event) error {
	o := ev.InvolvedObject
	tags := []string{"flux", "kind:" + o.Kind, "name:" + o.Name, "namespace:" + o.Namespace}
	for _, f := range fields(ev) {
		tags = append(tags, f.Key+":"+f.Value)
	}
	body := map[string]any{
		"title": object(ev), "text": ev.Message, "tags": tags, "source_type_name": "fluxcd",
		"alert_type":    map[bool]string{true: "error", false: "info"}[isError(ev)],
		"date_happened": timestamp(ev).Unix(), "aggregation_key": strings.ToLower(object(ev)),
	}
	u, err := joinURL(n.c.Address, "api", "v1", "events")
	if err != nil {
		return err
	}
	_, err = n.send(ctx, request{url: u, body: body, header: map[string]string{"DD-API-KEY": n.c.Token}})
	return err
}
