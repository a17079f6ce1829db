package notifier

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/ferry-gitops/ferry/shared/runtime/events"
)

// TestAlertingProviders posts events through each alerting type to a local server that
// checks the request as the service would.
func TestAlertingProviders(t *testing.T) {
	tests := []struct {
		name     string
		severity string
		cfg      func(url string) Config
		check    check
		requests int
	}{
		{name: "alertmanager", severity: events.SeverityError, cfg: func(u string) Config {
			return Config{Type: "alertmanager", Address: u + "/api/v2/alerts", Token: "am-token"}
		}, check: checkAlertmanager, requests: 1},
		{name: "grafana", severity: events.SeverityInfo, cfg: func(u string) Config {
			return Config{Type: "grafana", Address: u + "/api/annotations", Username: "admin", Password: "pw"}
		}, check: checkGrafana, requests: 1},
		{name: "opsgenie", severity: events.SeverityError, cfg: func(u string) Config {
			return Config{Type: "opsgenie", Address: u + "/v2/alerts", Token: "genie"}
		}, check: checkOpsgenie, requests: 1},
		{name: "pagerduty error triggers", severity: events.SeverityError, cfg: func(u string) Config {
			return Config{Type: "pagerduty", Address: u, Channel: "R0UTINGKEY"}
		}, check: checkPagerDuty, requests: 1},
		{name: "pagerduty info resolves and records a change", severity: events.SeverityInfo, cfg: func(u string) Config {
			return Config{Type: "pagerduty", Address: u, Channel: "R0UTINGKEY"}
		}, check: checkPagerDuty, requests: 2},
		{name: "datadog", severity: events.SeverityError, cfg: func(u string) Config {
			return Config{Type: "datadog", Address: u, Token: "dd-api-key"}
		}, check: checkDatadog, requests: 1},
		{name: "sentry error", severity: events.SeverityError, cfg: func(u string) Config {
			return Config{Type: "sentry", Address: strings.Replace(u, "://", "://pubkey@", 1) + "/42", Channel: "staging"}
		}, check: checkSentry("event"), requests: 1},
		{name: "sentry info", severity: events.SeverityInfo, cfg: func(u string) Config {
			return Config{Type: "sentry", Address: strings.Replace(u, "://", "://pubkey@", 1) + "/42", Channel: "staging"}
		}, check: checkSentry("transaction"), requests: 1},
		{name: "githubdispatch", severity: events.SeverityInfo, cfg: func(u string) Config {
			return Config{Type: "githubdispatch", Address: u + "/org/app", Token: "ghp_x"}
		}, check: checkDispatch, requests: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newService(t, tt.check)
			post(t, s, tt.cfg(s.URL), sampleEvent(tt.severity), tt.requests)
		})
	}
}

func checkAlertmanager(r *http.Request, body []byte) (int, string, error) {
	var alerts []obj
	if err := jsonBody(r, body, &alerts); err != nil {
		return 0, "", err
	}
	if len(alerts) != 1 {
		return 0, "", expect(false, "want one alert")
	}
	a := alerts[0]
	return http.StatusOK, "", expect(
		r.URL.Path == "/api/v2/alerts", "path "+r.URL.Path,
		r.Header.Get("Authorization") == "Bearer am-token", "no bearer token",
		str(a, "labels", "alertname") == "FluxKustomizationBuildFailed", "alertname "+str(a, "labels", "alertname"),
		str(a, "labels", "severity") == "error" && str(a, "labels", "namespace") == "flux-system", "labels missing",
		str(a, "labels", "revision") == "main@sha1:"+sha, "metadata is not in the labels",
		str(a, "annotations", "summary") == "prod cluster", "summary is not an annotation",
		str(a, "startsAt") == "2025-05-01T12:00:00Z", "startsAt is not the event time",
	)
}

func checkGrafana(r *http.Request, body []byte) (int, string, error) {
	var p obj
	if err := jsonBody(r, body, &p); err != nil {
		return 0, "", err
	}
	user, pass, _ := r.BasicAuth()
	tags, _ := p["tags"].([]any)
	has := func(s string) bool {
		for _, t := range tags {
			if t == s {
				return true
			}
		}
		return false
	}
	return http.StatusOK, `{"id":1,"message":"Annotation added"}`, expect(
		r.URL.Path == "/api/annotations", "path "+r.URL.Path,
		user == "admin" && pass == "pw", "no basic authentication",
		has("flux") && has("kustomize-controller") && has("kind: Kustomization") && has("revision: main@sha1:"+sha), "tags missing",
		p["time"] == float64(1746100800000), "time is not the event's in milliseconds",
	)
}

func checkOpsgenie(r *http.Request, body []byte) (int, string, error) {
	var p obj
	if err := jsonBody(r, body, &p); err != nil {
		return 0, "", err
	}
	return http.StatusAccepted, `{"result":"Request will be processed","requestId":"x"}`, expect(
		r.URL.Path == "/v2/alerts", "path "+r.URL.Path,
		r.Header.Get("Authorization") == "GenieKey genie", "Authorization is not GenieKey",
		len(str(p, "message")) > 0 && len(str(p, "message")) <= 130, "message empty or over 130 characters",
		str(p, "details", "revision") == "main@sha1:"+sha, "metadata is not in details",
	)
}

func checkPagerDuty(r *http.Request, body []byte) (int, string, error) {
	var p obj
	if err := jsonBody(r, body, &p); err != nil {
		return 0, "", err
	}
	if r.URL.Path == "/v2/change/enqueue" {
		return http.StatusAccepted, `{"status":"success"}`, expect(
			str(p, "routing_key") == "R0UTINGKEY", "change event without routing key",
			str(p, "payload", "summary") != "" && str(p, "payload", "source") == "kustomize-controller", "change payload incomplete",
		)
	}
	action := str(p, "event_action")
	return http.StatusAccepted, `{"status":"success","dedup_key":"k"}`, expect(
		r.URL.Path == "/v2/enqueue", "path "+r.URL.Path,
		str(p, "routing_key") == "R0UTINGKEY", "no routing key",
		action == "trigger" || action == "resolve", "event_action "+action,
		str(p, "dedup_key") == "kustomization/apps.flux-system", "dedup_key is not the object",
		action == "resolve" || (str(p, "payload", "severity") == "error" && str(p, "payload", "summary") != ""), "trigger payload incomplete",
	)
}

func checkDatadog(r *http.Request, body []byte) (int, string, error) {
	var p obj
	if err := jsonBody(r, body, &p); err != nil {
		return 0, "", err
	}
	return http.StatusAccepted, `{"status":"ok"}`, expect(
		r.URL.Path == "/api/v1/events", "path "+r.URL.Path,
		r.Header.Get("DD-API-KEY") == "dd-api-key", "no DD-API-KEY",
		str(p, "title") != "" && str(p, "text") != "", "title or text missing",
		str(p, "alert_type") == "error", "alert_type is not error",
		strings.Contains(string(body), `"revision:main@sha1:`+sha+`"`), "metadata is not in the tags",
	)
}

func checkSentry(kind string) check {
	return func(r *http.Request, body []byte) (int, string, error) {
		lines := bytes.Split(bytes.TrimRight(body, "\n"), []byte("\n"))
		if len(lines) != 3 {
			return 0, "", expect(false, "an envelope of one item has three lines")
		}
		var header, itemHeader, item obj
		for i, into := range []*obj{&header, &itemHeader, &item} {
			if err := json.Unmarshal(lines[i], into); err != nil {
				return 0, "", err
			}
		}
		auth := r.Header.Get("X-Sentry-Auth")
		return http.StatusOK, `{"id":"x"}`, expect(
			r.URL.Path == "/api/42/envelope/", "path "+r.URL.Path,
			strings.Contains(auth, "sentry_version=7") && strings.Contains(auth, "sentry_key=pubkey"), "X-Sentry-Auth "+auth,
			len(str(header, "event_id")) == 32, "no event_id in the envelope header",
			str(itemHeader, "type") == kind, "item type "+str(itemHeader, "type"),
			str(item, "environment") == "staging", "environment is not the channel",
			kind != "event" || str(item, "extra", "revision") == "main@sha1:"+sha, "metadata is not in extra",
			kind != "transaction" || str(item, "spans", 0, "tags", "revision") == "main@sha1:"+sha, "metadata is not in the span tags",
		)
	}
}

func checkDispatch(r *http.Request, body []byte) (int, string, error) {
	var p obj
	if err := jsonBody(r, body, &p); err != nil {
		return 0, "", err
	}
	return http.StatusNoContent, "", expect(
		r.URL.Path == "/api/v3/repos/org/app/dispatches", "path "+r.URL.Path,
		r.Header.Get("Authorization") == "Bearer ghp_x", "no bearer token",
		str(p, "event_type") == "Kustomization/apps.flux-system", "event_type "+str(p, "event_type"),
		str(p, "client_payload", "involvedObject", "kind") == "Kustomization", "client_payload is not the event",
	)
}
