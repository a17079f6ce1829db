package notifier

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/ferry-gitops/ferry/shared/runtime/events"
)

// TestChatProviders posts an error event through each chat and webhook type to a local
// server that checks the request as the service would.
func TestChatProviders(t *testing.T) {
	tests := []struct {
		name  string
		cfg   func(url string) Config
		check check
	}{
		{name: "generic", cfg: func(u string) Config {
			return Config{Type: "generic", Address: u + "/hook", Headers: map[string]string{"X-Team": "platform"}}
		}, check: checkGeneric("")},
		{name: "generic-hmac", cfg: func(u string) Config {
			return Config{Type: "generic-hmac", Address: u + "/hook", Token: "s3cret", Headers: map[string]string{"X-Team": "platform"}}
		}, check: checkGeneric("s3cret")},
		{name: "slack bot token", cfg: func(u string) Config {
			return Config{Type: "slack", Address: u + "/api/chat.postMessage", Token: "xoxb-1", Channel: "deployments"}
		}, check: checkSlack("/api/chat.postMessage", "Bearer xoxb-1", "deployments", `{"ok":true}`)},
		{name: "slack webhook", cfg: func(u string) Config {
			return Config{Type: "slack", Address: u + "/services/T0/B0/XYZ", Channel: "deployments", Username: "flux"}
		}, check: checkSlack("/services/T0/B0/XYZ", "", "deployments", "ok")},
		{name: "discord", cfg: func(u string) Config {
			return Config{Type: "discord", Address: u + "/api/webhooks/123/abc"}
		}, check: checkSlack("/api/webhooks/123/abc/slack", "", "", "ok")},
		{name: "rocket", cfg: func(u string) Config {
			return Config{Type: "rocket", Address: u + "/hooks/abc/def"}
		}, check: checkSlack("/hooks/abc/def", "", "", `{"success":true}`)},
		{name: "msteams workflow", cfg: func(u string) Config {
			return Config{Type: "msteams", Address: u + "/workflows/zzz/triggers/manual/paths/invoke?sig=abc"}
		}, check: checkTeamsAdaptive},
		{name: "googlechat", cfg: func(u string) Config {
			return Config{Type: "googlechat", Address: u + "/v1/spaces/AAA/messages?key=k&token=t"}
		}, check: checkGoogleChat},
		{name: "webex", cfg: func(u string) Config {
			return Config{Type: "webex", Address: u + "/v1/messages", Token: "bot-token", Channel: "room-1"}
		}, check: checkWebex},
		{name: "lark", cfg: func(u string) Config {
			return Config{Type: "lark", Address: u + "/open-apis/bot/v2/hook/xxx"}
		}, check: checkLark},
		{name: "telegram", cfg: func(u string) Config {
			return Config{Type: "telegram", Address: u, Token: "123:ABC", Channel: "@fluxcd"}
		}, check: checkTelegram},
		{name: "matrix", cfg: func(u string) Config {
			return Config{Type: "matrix", Address: u, Token: "syt_token", Channel: "!room:example.org"}
		}, check: checkMatrix},
		{name: "zulip", cfg: func(u string) Config {
			return Config{Type: "zulip", Address: u, Username: "flux-bot@example.org", Password: "api-key", Channel: "deploys/prod"}
		}, check: checkZulip},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newService(t, tt.check)
			post(t, s, tt.cfg(s.URL), sampleEvent(events.SeverityError), 1)
		})
	}
}

func checkGeneric(token string) check {
	return func(r *http.Request, body []byte) (int, string, error) {
		var ev Event
		if err := jsonBody(r, body, &ev); err != nil {
			return 0, "", err
		}
		sig := r.Header.Get("X-Signature")
		mac := hmac.New(sha256.New, []byte(token))
		mac.Write(body)
		return http.StatusAccepted, "", expect(
			r.Method == http.MethodPost && r.URL.Path == "/hook", "want POST /hook, got "+r.Method+" "+r.URL.Path,
			r.Header.Get("Gotk-Component") == "kustomize-controller", "no Gotk-Component header",
			r.Header.Get("X-Team") == "platform", "the secret's header is missing",
			ev.InvolvedObject.Kind == "Kustomization" && ev.Severity == "error" && ev.Metadata[RevisionKey] == "main@sha1:"+sha,
			"the body is not the Flux event",
			token == "" || sig == "sha256="+hex.EncodeToString(mac.Sum(nil)), "X-Signature is not the HMAC-SHA256 of the body",
			token != "" || sig == "", "an unsigned provider sent X-Signature",
		)
	}
}

func checkSlack(path, auth, channel, answer string) check {
	return func(r *http.Request, body []byte) (int, string, error) {
		var p obj
		if err := jsonBody(r, body, &p); err != nil {
			return 0, "", err
		}
		return http.StatusOK, answer, expect(
			r.Method == http.MethodPost && r.URL.Path == path, "want POST "+path+", got "+r.URL.Path,
			r.Header.Get("Authorization") == auth, "Authorization is "+r.Header.Get("Authorization"),
			str(p, "channel") == channel, "channel is "+str(p, "channel"),
			str(p, "attachments", 0, "color") == "danger", "an error is not red",
			str(p, "attachments", 0, "author_name") == "Kustomization/apps.flux-system", "author is not the object",
			str(p, "attachments", 0, "text") == sampleEvent("error").Message, "text is not the message",
			str(p, "attachments", 0, "fields", 0, "title") == RevisionKey, "metadata is not in the fields",
		)
	}
}

func checkTeamsAdaptive(r *http.Request, body []byte) (int, string, error) {
	var p obj
	if err := jsonBody(r, body, &p); err != nil {
		return 0, "", err
	}
	return http.StatusAccepted, "", expect(
		r.URL.Query().Get("sig") == "abc", "the webhook's signature query was dropped",
		str(p, "type") == "message", "type is not message",
		str(p, "attachments", 0, "contentType") == "application/vnd.microsoft.card.adaptive", "not an Adaptive Card",
		str(p, "attachments", 0, "content", "type") == "AdaptiveCard", "content is not an AdaptiveCard",
		str(p, "attachments", 0, "content", "body", 2, "facts", 0, "title") == RevisionKey, "metadata is not in the facts",
	)
}

func checkGoogleChat(r *http.Request, body []byte) (int, string, error) {
	var p obj
	if err := jsonBody(r, body, &p); err != nil {
		return 0, "", err
	}
	return http.StatusOK, "{}", expect(
		r.URL.Path == "/v1/spaces/AAA/messages" && r.URL.Query().Get("key") == "k" && r.URL.Query().Get("token") == "t",
		"the webhook URL's path or key and token were changed",
		str(p, "cardsV2", 0, "card", "header", "title") == "Kustomization/apps.flux-system", "card title is not the object",
		str(p, "cardsV2", 0, "card", "sections", 0, "widgets", 1, "decoratedText", "topLabel") == RevisionKey, "metadata missing",
	)
}

func checkWebex(r *http.Request, body []byte) (int, string, error) {
	var p obj
	if err := jsonBody(r, body, &p); err != nil {
		return 0, "", err
	}
	return http.StatusOK, `{"id":"m1"}`, expect(
		r.URL.Path == "/v1/messages", "path "+r.URL.Path,
		r.Header.Get("Authorization") == "Bearer bot-token", "no bearer token",
		str(p, "roomId") == "room-1", "roomId is not the channel",
		strings.Contains(str(p, "markdown"), "**Kustomization/apps.flux-system**"), "markdown lacks the object",
	)
}

func checkLark(r *http.Request, body []byte) (int, string, error) {
	var p obj
	if err := jsonBody(r, body, &p); err != nil {
		return 0, "", err
	}
	return http.StatusOK, `{"code":0,"msg":"success"}`, expect(
		str(p, "msg_type") == "interactive", "msg_type is not interactive",
		str(p, "card", "header", "template") == "red", "an error card is not red",
		str(p, "card", "header", "title", "content") == "Kustomization/apps.flux-system", "title is not the object",
		str(p, "card", "elements", 0, "text", "tag") == "lark_md", "the text is not lark_md",
	)
}

func checkTelegram(r *http.Request, body []byte) (int, string, error) {
	var p obj
	if err := jsonBody(r, body, &p); err != nil {
		return 0, "", err
	}
	return http.StatusOK, `{"ok":true,"result":{"message_id":1}}`, expect(
		r.URL.Path == "/bot123:ABC/sendMessage", "path is not /bot<token>/sendMessage",
		str(p, "chat_id") == "@fluxcd", "chat_id is not the channel",
		strings.Contains(str(p, "text"), "revision: main@sha1:"+sha), "text lacks the metadata",
	)
}

func checkMatrix(r *http.Request, body []byte) (int, string, error) {
	var p obj
	if err := jsonBody(r, body, &p); err != nil {
		return 0, "", err
	}
	prefix := "/_matrix/client/v3/rooms/!room:example.org/send/m.room.message/"
	return http.StatusOK, `{"event_id":"$1"}`, expect(
		r.Method == http.MethodPut, "method is not PUT",
		strings.HasPrefix(r.URL.Path, prefix) && len(r.URL.Path) > len(prefix), "path is not a room send with a transaction ID: "+r.URL.Path,
		r.Header.Get("Authorization") == "Bearer syt_token", "no bearer token",
		str(p, "msgtype") == "m.text" && strings.Contains(str(p, "body"), "Kustomization/apps.flux-system"), "not an m.text message",
	)
}

func checkZulip(r *http.Request, body []byte) (int, string, error) {
	user, pass, _ := r.BasicAuth()
	form, err := url.ParseQuery(string(body))
	if err != nil {
		return 0, "", err
	}
	return http.StatusOK, `{"result":"success","id":42}`, expect(
		r.URL.Path == "/api/v1/messages", "path "+r.URL.Path,
		r.Header.Get("Content-Type") == "application/x-www-form-urlencoded", "not a form",
		user == "flux-bot@example.org" && pass == "api-key", "basic authentication is not the bot's email and API key",
		form.Get("type") == "stream" && form.Get("to") == "deploys" && form.Get("topic") == "prod", "stream or topic wrong",
		strings.Contains(form.Get("content"), "kustomize build failed"), "content lacks the message",
	)
}

// TestSlackRefusal: Slack's Web API answers 200 with ok=false when it refuses a message; that
// is a failure, and not one worth a retry.
func TestSlackRefusal(t *testing.T) {
	s := newService(t, func(*http.Request, []byte) (int, string, error) {
		return http.StatusOK, `{"ok":false,"error":"channel_not_found"}`, nil
	})
	n, err := New(Config{Type: "slack", Address: s.URL, Token: "xoxb", Channel: "nope"})
	if err != nil {
		t.Fatal(err)
	}
	err = n.Post(t.Context(), sampleEvent("info"))
	if err == nil || !strings.Contains(err.Error(), "channel_not_found") || Retryable(err) {
		t.Fatalf("Post = %v, want a permanent refusal naming channel_not_found", err)
	}
}

// TestMSTeamsConnector: an Office 365 connector address gets a MessageCard.
func TestMSTeamsConnector(t *testing.T) {
	n, err := New(Config{Type: "msteams", Address: "https://example.webhook.office.com/webhookb2/x"})
	if err != nil {
		t.Fatal(err)
	}
	if !n.(*msteams).connector {
		t.Fatal("a .webhook.office.com address is not treated as a connector")
	}
	card := teamsConnectorCard(sampleEvent("error"))
	if card["@type"] != "MessageCard" || card["themeColor"] != "FF0000" {
		t.Fatalf("connector card = %v", card)
	}
}
