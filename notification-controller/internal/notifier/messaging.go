package notifier

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
)

// defaultTelegramAPI is Telegram's Bot API, used when the Provider names no address.
const defaultTelegramAPI = "https://api.telegram.org"

// telegram sends a message to the chat spec.channel (an ID or @channel) through the Bot API.
type telegram struct {
	client
	url string
}

func newTelegram(c *Config, h *http.Client) (Notifier, error) {
	if err := c.need(needs{token: true, channel: "the chat ID or @channel"}); err != nil {
		return nil, err
	}
	base := c.Address
	if base == "" {
		base = defaultTelegramAPI
	}
	u, err := joinURL(base, "bot"+c.Token, "sendMessage")
	if err != nil {
		return nil, err
	}
	return &telegram{client: client{c, h}, url: u}, nil
}

// Post implements Notifier.
func (n *telegram) Post(ctx context.Context, ev Event) error {
	body := map[string]any{"chat_id": n.c.Channel, "text": plainText(ev), "disable_web_page_preview": true}
	answer, err := n.send(ctx, request{url: n.url, body: body})
	if err != nil {
		return err
	}
	return refusal("telegram", answer)
}

// matrix sends an m.room.message text event to the room spec.channel through the
// client-server API. The transaction ID is a digest of the event, so that a retry of a
// request the server did get is not posted twice.
type matrix struct {
	client
}

func newMatrix(c *Config, h *http.Client) (Notifier, error) {
	if err := c.need(needs{address: true, token: true, channel: "the room ID"}); err != nil {
		return nil, err
	}
	return &matrix{client: client{c, h}}, nil
}

// Post implements Notifier.
func (n *matrix) Post(ctx context.Context, ev Event) error {
	raw, err := json.Marshal(ev)
	if err != nil {
		return fmt.Errorf("failed to encode the event: %w", err)
	}
	sum := sha256.Sum256(raw)
	u, err := joinURL(n.c.Address, "_matrix", "client", "v3", "rooms", n.c.Channel, "send", "m.room.message", hex.EncodeToString(sum[:16]))
	if err != nil {
		return err
	}
	body := map[string]string{"msgtype": "m.text", "body": plainText(ev)}
	_, err = n.send(ctx, request{method: http.MethodPut, url: u, body: body,
		header: map[string]string{"Authorization": "Bearer " + n.c.Token}})
	return err
}

// zulipMessagesPath is the path of Zulip's send-message endpoint.
const zulipMessagesPath = "/api/v1/messages"

// zulip sends a stream message through Zulip's REST API as a bot: spec.username is the bot's
// email, the Secret's password its API key, spec.channel "<stream>" or "<stream>/<topic>"
// (the topic defaults to the object, "<kind>/<name>.<namespace>").
type zulip struct {
	client
	url           string
	stream, topic string
}

func newZulip(c *Config, h *http.Client) (Notifier, error) {
	if err := c.need(needs{address: true}); err != nil {
		return nil, err
	}
	if c.Username == "" || c.Password == "" {
		return nil, errors.New("zulip provider needs the bot's email (spec.username or the secret's 'username') and its API key (the secret's 'password')")
	}
	stream, topic, _ := strings.Cut(c.Channel, "/")
	if stream == "" {
		return nil, errors.New("zulip provider needs spec.channel (<stream> or <stream>/<topic>)")
	}
	u := c.Address
	if !strings.HasSuffix(strings.TrimSuffix(u, "/"), zulipMessagesPath) {
		var err error
		if u, err = joinURL(u, zulipMessagesPath); err != nil {
			return nil, err
		}
	}
	return &zulip{client: client{c, h}, url: u, stream: stream, topic: topic}, nil
}

// Post implements Notifier.
func (n *zulip) Post(ctx context.Context, ev Event) error {
	topic := n.topic
	if topic == "" {
		topic = object(ev)
	}
	form := url.Values{"type": {"stream"}, "to": {n.stream}, "topic": {topic}, "content": {markdownText(ev)}}
	_, err := n.send(ctx, request{url: n.url, raw: []byte(form.Encode()), contentType: "application/x-www-form-urlencoded",
		user: n.c.Username, password: n.c.Password})
	return err
}
