package notifier

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"hash"
	"net/http"
)

// componentHeader names the emitting controller in generic webhook requests, as Flux does.
const componentHeader = "Gotk-Component"

// generic POSTs the event as Flux's JSON event to the address; with a token it signs the
// body (generic-hmac).
type generic struct {
	client
	hmac bool
}

func newGeneric(c *Config, h *http.Client) (Notifier, error) {
	if err := c.need(needs{address: true}); err != nil {
		return nil, err
	}
	return &generic{client: client{c, h}}, nil
}

func newGenericHMAC(c *Config, h *http.Client) (Notifier, error) {
	if err := c.need(needs{address: true, token: true}); err != nil {
		return nil, err
	}
	return &generic{client: client{c, h}, hmac: true}, nil
}

// Post implements Notifier.
func (n *generic) Post(ctx context.Context, ev Event) error {
	body, err := json.Marshal(ev)
	if err != nil {
		return fmt.Errorf("failed to encode the event: %w", err)
	}
	header := map[string]string{componentHeader: ev.ReportingController}
	if n.hmac {
		header["X-Signature"] = "sha256=" + Sign(sha256.New, []byte(n.c.Token), body)
	}
	_, err = n.send(ctx, request{url: n.c.Address, raw: body, contentType: "application/json", header: header})
	return err
}

// Sign returns the hex HMAC of payload with key and the hash newHash.
func Sign(newHash func() hash.Hash, key, payload []byte) string {
	mac := hmac.New(newHash, key)
	mac.Write(payload)
	return hex.EncodeToString(mac.Sum(nil))
}

// githubDispatch creates repository_dispatch events: event_type "<kind>/<name>.<namespace>",
// the Flux event as client_payload.
type githubDispatch struct {
	client
	repo repository
}

func newGitHubDispatch(c *Config, h *http.Client) (Notifier, error) {
	if err := c.need(needs{token: true}); err != nil {
		return nil, err
	}
	repo, err := parseRepository(c.Address, 2)
	if err != nil {
		return nil, err
	}
	return &githubDispatch{client: client{c, h}, repo: repo}, nil
}

// Post implements Notifier.
func (n *githubDispatch) Post(ctx context.Context, ev Event) error {
	url, err := joinURL(githubAPI(n.repo), "repos", n.repo.path[0], n.repo.path[1], "dispatches")
	if err != nil {
		return err
	}
	body := map[string]any{"event_type": object(ev), "client_payload": ev}
	_, err = n.send(ctx, request{url: url, body: body, header: githubHeaders(n.c.Token)})
	return err
}
