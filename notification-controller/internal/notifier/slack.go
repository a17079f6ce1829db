package notifier

import (
	"context"
	"fmt"
	"net/http"
	"strings"
)

// slackPayload is a Slack message with one attachment, the format Slack's chat.postMessage
// and incoming webhooks read, and Discord's and Rocket.Chat's Slack-compatible webhooks too.
type slackPayload struct {
	Channel     string            `json:"channel,omitempty"`
	Username    string            `json:"username,omitempty"`
	Text        string            `json:"text,omitempty"`
	Attachments []slackAttachment `json:"attachments"`
}

type slackAttachment struct {
	Color      string       `json:"color"`
	AuthorName string       `json:"author_name"`
	Title      string       `json:"title,omitempty"`
	Text       string       `json:"text"`
	MrkdwnIn   []string     `json:"mrkdwn_in"`
	Fields     []slackField `json:"fields,omitempty"`
}

type slackField struct {
	Title string `json:"title"`
	Value string `json:"value"`
	Short bool   `json:"short"`
}

// slackMessage formats ev for Slack: the object as author, the message as text, the
// metadata as fields, green or red by severity.
func slackMessage(channel, username string, ev Event) slackPayload {
	color := "good"
	if isError(ev) {
		color = "danger"
	}
	if username == "" {
		username = ev.ReportingController
	}
	a := slackAttachment{Color: color, AuthorName: object(ev), Text: ev.Message, MrkdwnIn: []string{"text"}}
	for _, f := range fields(ev) {
		a.Fields = append(a.Fields, slackField{Title: f.Key, Value: f.Value})
	}
	return slackPayload{Channel: channel, Username: username, Attachments: []slackAttachment{a}}
}

// slack posts to Slack: with a token, to the Web API (chat.postMessage) as a bot into
// spec.channel; without one, to an incoming webhook address.
type slack struct {
	client
}

func newSlack(c *Config, h *http.Client) (Notifier, error) {
	if err := c.need(needs{address: true}); err != nil {
		return nil, err
	}
	if c.Token != "" && c.Channel == "" {
		return nil, fmt.Errorf("slack provider with a token needs spec.channel")
	}
	return &slack{client: client{c, h}}, nil
}

// Post implements Notifier.
func (n *slack) Post(ctx context.Context, ev Event) error {
	r := request{url: n.c.Address, body: slackMessage(n.c.Channel, n.c.Username, ev)}
	if n.c.Token != "" {
		r.header = map[string]string{"Authorization": "Bearer " + n.c.Token}
	}
	answer, err := n.send(ctx, r)
	if err != nil || n.c.Token == "" {
		return err
	}
	// The Web API answers 200 with {"ok": false, "error": "..."} when it refuses a message.
	return refusal("slack", answer)
}

// slackCompatible posts Slack messages to a webhook that reads Slack's format (Discord's
// /slack endpoint, Rocket.Chat).
type slackCompatible struct {
	client
	url string
}

func newDiscord(c *Config, h *http.Client) (Notifier, error) {
	if err := c.need(needs{address: true}); err != nil {
		return nil, err
	}
	u := c.Address
	if !strings.HasSuffix(strings.TrimSuffix(strings.SplitN(u, "?", 2)[0], "/"), "/slack") {
		var err error
		if u, err = joinURL(u, "slack"); err != nil {
			return nil, err
		}
	}
	return &slackCompatible{client: client{c, h}, url: u}, nil
}

func newRocket(c *Config, h *http.Client) (Notifier, error) {
	if err := c.need(needs{address: true}); err != nil {
		return nil, err
	}
	return &slackCompatible{client: client{c, h}, url: c.Address}, nil
}

// Post implements Notifier.
func (n *slackCompatible) Post(ctx context.Context, ev Event) error {
	_, err := n.send(ctx, request{url: n.url, body: slackMessage(n.c.Channel, n.c.Username, ev)})
	return err
}
