package notifier

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// sentryClient names Ferry in the X-Sentry-Auth header.
const sentryClient = "ferry-notification-controller/1.0"

// sentry sends events to Sentry through the envelope endpoint of the project the DSN in the
// address names: an error event for errors, a transaction with one span for info events.
// spec.channel is the environment; the metadata goes into extra (errors) or the span's tags.
type sentry struct {
	client
	dsn      string
	endpoint string
	key      string
}

func newSentry(c *Config, h *http.Client) (Notifier, error) {
	u, err := url.Parse(c.Address)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User == nil || u.User.Username() == "" {
		return nil, errors.New("sentry provider needs a DSN as address (https://<public key>@<host>/<project>)")
	}
	path := strings.Trim(u.Path, "/")
	i := strings.LastIndex(path, "/")
	project, prefix := path[i+1:], ""
	if i >= 0 {
		prefix = "/" + path[:i]
	}
	if project == "" {
		return nil, errors.New("sentry provider DSN names no project")
	}
	endpoint := fmt.Sprintf("%s://%s%s/api/%s/envelope/", u.Scheme, u.Host, prefix, project)
	return &sentry{client: client{c, h}, dsn: c.Address, endpoint: endpoint, key: u.User.Username()}, nil
}

// Post implements Notifier.
func (n *sentry) Post(ctx context.Context, ev Event) error {
	id := randomHex(16)
	ts := timestamp(ev).Format(time.RFC3339Nano)
	kind, item := "event", n.errorEvent(ev, id, ts)
	if !isError(ev) {
		kind, item = "transaction", n.transaction(ev, id, ts)
	}
	payload, err := json.Marshal(item)
	if err != nil {
		return fmt.Errorf("failed to encode the Sentry event: %w", err)
	}
	var b bytes.Buffer
	header, _ := json.Marshal(map[string]string{"event_id": id, "sent_at": time.Now().UTC().Format(time.RFC3339Nano), "dsn": n.dsn})
	itemHeader, _ := json.Marshal(map[string]any{"type": kind, "content_type": "application/json", "length": len(payload)})
	for _, line := range [][]byte{header, itemHeader, payload} {
		b.Write(line)
		b.WriteByte('\n')
	}
	auth := fmt.Sprintf("Sentry sentry_version=7, sentry_client=%s, sentry_key=%s", sentryClient, n.key)
	_, err = n.send(ctx, request{url: n.endpoint, raw: b.Bytes(), contentType: "application/x-sentry-envelope",
		header: map[string]string{"X-Sentry-Auth": auth}})
	return err
}

func (n *sentry) tags(ev Event) map[string]string {
	o := ev.InvolvedObject
	return map[string]string{"kind": o.Kind, "name": o.Name, "namespace": o.Namespace, "reason": ev.Reason}
}

func (n *sentry) errorEvent(ev Event, id, ts string) map[string]any {
	extra := map[string]string{}
	for _, f := range fields(ev) {
		extra[f.Key] = f.Value
	}
	return map[string]any{
		"event_id": id, "timestamp": ts, "platform": "other", "level": "error",
		"logger": ev.ReportingController, "environment": n.c.Channel,
		"message": map[string]string{"formatted": object(ev) + ": " + ev.Message},
		"tags":    n.tags(ev), "extra": extra,
	}
}

func (n *sentry) transaction(ev Event, id, ts string) map[string]any {
	trace, root := randomHex(16), randomHex(8)
	spanTags := n.tags(ev)
	for _, f := range fields(ev) {
		spanTags[f.Key] = f.Value
	}
	span := map[string]any{
		"trace_id": trace, "span_id": randomHex(8), "parent_span_id": root, "op": ev.Reason,
		"description": ev.Message, "start_timestamp": ts, "timestamp": ts, "status": "ok", "tags": spanTags,
	}
	return map[string]any{
		"type": "transaction", "event_id": id, "transaction": object(ev), "platform": "other",
		"start_timestamp": ts, "timestamp": ts, "environment": n.c.Channel, "tags": n.tags(ev),
		"contexts": map[string]any{"trace": map[string]string{"trace_id": trace, "span_id": root, "op": "flux.event", "status": "ok"}},
		"spans":    []map[string]any{span},
	}
}

// randomHex returns n random bytes as hex.
func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
