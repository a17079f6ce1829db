package notifier

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
)

// msteams posts to Microsoft Teams: an Adaptive Card to a Workflows webhook, or a
// MessageCard to a legacy Office 365 connector (an address under .webhook.office.com).
type msteams struct {
	client
	connector bool
}

func newMSTeams(c *Config, h *http.Client) (Notifier, error) {
	if err := c.need(needs{address: true}); err != nil {
		return nil, err
	}
	u, _ := url.Parse(c.Address)
	return &msteams{client: client{c, h}, connector: strings.HasSuffix(u.Hostname(), ".webhook.office.com")}, nil
}

// Post implements Notifier.
func (n *msteams) Post(ctx context.Context, ev Event) error {
	var body any
	if n.connector {
		body = teamsConnectorCard(ev)
	} else {
		body = teamsAdaptiveCard(ev)
	}
	_, err := n.send(ctx, request{url: n.c.Address, body: body})
	return err
}

func teamsAdaptiveCard(ev Event) map[string]any {
	facts := []map[string]string{}
	for _, f := range fields(ev) {
		facts = append(facts, map[string]string{"title": f.Key, "value": f.Value})
	}
	color := "Good"
	if isError(ev) {
		color = "Attention"
	}
	content := map[string]any{
		"$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
		"type":    "AdaptiveCard",
		"version": "1.4",
		"body": []map[string]any{
			{"type": "TextBlock", "text": object(ev), "weight": "Bolder", "size": "Medium", "color": color, "wrap": true},
			{"type": "TextBlock", "text": ev.Message, "wrap": true},
			{"type": "FactSet", "facts": facts},
		},
	}
	return map[string]any{"type": "message", "attachments": []map[string]any{
		{"contentType": "application/vnd.microsoft.card.adaptive", "content": content},
	}}
}

func teamsConnectorCard(ev Event) map[string]any {
	facts := []map[string]string{}
	for _, f := range fields(ev) {
		facts = append(facts, map[string]string{"name": f.Key, "value": f.Value})
	}
	color := "0076D7"
	if isError(ev) {
		color = "FF0000"
	}
	return map[string]any{
		"@type": "MessageCard", "@context": "https://schema.org/extensions",
		"themeColor": color, "summary": object(ev),
		"sections": []map[string]any{{"activityTitle": ev.Message, "activitySubtitle": object(ev), "facts": facts}},
	}
}

// googleChat posts a card (Google Chat's cardsV2) to a space's incoming webhook.
type googleChat struct {
	client
}

func newGoogleChat(c *Config, h *http.Client) (Notifier, error) {
	if err := c.need(needs{address: true}); err != nil {
		return nil, err
	}
	return &googleChat{client: client{c, h}}, nil
}

// Post implements Notifier.
func (n *googleChat) Post(ctx context.Context, ev Event) error {
	widgets := []map[string]any{{"textParagraph": map[string]string{"text": ev.Message}}}
	for _, f := range fields(ev) {
		widgets = append(widgets, map[string]any{"decoratedText": map[string]string{"topLabel": f.Key, "text": f.Value}})
	}
	card := map[string]any{
		"header":   map[string]string{"title": object(ev), "subtitle": severityWord(ev)},
		"sections": []map[string]any{{"widgets": widgets}},
	}
	body := map[string]any{"text": object(ev) + ": " + ev.Message, "cardsV2": []map[string]any{{"cardId": "flux-event", "card": card}}}
	_, err := n.send(ctx, request{url: n.c.Address, body: body})
	return err
}

// webex creates a message in the room spec.channel through the Webex messages API.
type webex struct {
	client
}

func newWebex(c *Config, h *http.Client) (Notifier, error) {
	if err := c.need(needs{address: true, token: true, channel: "the room ID"}); err != nil {
		return nil, err
	}
	return &webex{client: client{c, h}}, nil
}

// Post implements Notifier.
func (n *webex) Post(ctx context.Context, ev Event) error {
	body := map[string]string{"roomId": n.c.Channel, "markdown": markdownText(ev)}
	_, err := n.send(ctx, request{url: n.c.Address, body: body,
		header: map[string]string{"Authorization": "Bearer " + n.c.Token}})
	return err
}

// lark posts an interactive card to a Lark (Feishu) group bot webhook.
type lark struct {
	client
}

func newLark(c *Config, h *http.Client) (Notifier, error) {
	if err := c.need(needs{address: true}); err != nil {
		return nil, err
	}
	return &lark{client: client{c, h}}, nil
}

// Post implements Notifier.
func (n *lark) Post(ctx context.Context, ev Event) error {
	template := "turquoise"
	if isError(ev) {
		template = "red"
	}
	card := map[string]any{
		"config": map[string]bool{"wide_screen_mode": true},
		"header": map[string]any{"title": map[string]string{"tag": "plain_text", "content": object(ev)}, "template": template},
		"elements": []map[string]any{
			{"tag": "div", "text": map[string]string{"tag": "lark_md", "content": strings.TrimPrefix(markdownText(ev), "**"+object(ev)+"**\n\n")}},
		},
	}
	answer, err := n.send(ctx, request{url: n.c.Address, body: map[string]any{"msg_type": "interactive", "card": card}})
	if err != nil {
		return err
	}
	// Lark answers 200 with a non-zero code when it refuses a message.
	var res struct {
		Code int    `json:"code"`
		Msg  string `json:"msg"`
	}
	if err := json.Unmarshal(answer, &res); err != nil {
		return fmt.Errorf("failed to read Lark's answer: %w", err)
	}
	if res.Code != 0 {
		return fmt.Errorf("lark refused the message: %d %s: %w", res.Code, res.Msg, errPermanent)
	}
	return nil
}
