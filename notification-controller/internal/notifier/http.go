package notifier

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"unicode/utf8"
)

// maxAnswer bounds how much of a service's answer is read.
const maxAnswer = 64 << 10

// request is one HTTP request a Notifier sends.
type request struct {
	method, url string
	// body is sent as JSON unless raw is set.
	body any
	// raw is sent as is, with contentType.
	raw         []byte
	contentType string
	header      map[string]string
	// user and password, when user is set, are sent as basic authentication.
	user, password string
}

// client is what every Notifier holds: the Provider's settings and the HTTP client built
// from them.
type client struct {
	c    *Config
	http *http.Client
}

// send performs r and returns the service's answer on a 2xx status, or an *HTTPError.
// Headers of the Provider's Secret are added last, so they can override ours.
func (n client) send(ctx context.Context, r request) ([]byte, error) {
	body, ctype := r.raw, r.contentType
	if body == nil && r.body != nil {
		var err error
		if body, err = json.Marshal(r.body); err != nil {
			return nil, fmt.Errorf("failed to encode the payload: %w", err)
		}
		ctype = "application/json"
	}
	method := r.method
	if method == "" {
		method = http.MethodPost
	}
	req, err := http.NewRequestWithContext(ctx, method, r.url, bytes.NewReader(body))
	if err != nil {
		return nil, fmt.Errorf("failed to create the request: %w", redactURL(err))
	}
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	req.Header.Set("User-Agent", "ferry-notification-controller")
	if r.user != "" {
		req.SetBasicAuth(r.user, r.password)
	}
	for k, v := range r.header {
		req.Header.Set(k, v)
	}
	for k, v := range n.c.Headers {
		req.Header.Set(k, v)
	}
	resp, err := n.http.Do(req)
	if err != nil {
		return nil, fmt.Errorf("failed to send the request: %w", redactURL(err))
	}
	defer resp.Body.Close()
	answer, _ := io.ReadAll(io.LimitReader(resp.Body, maxAnswer))
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return nil, &HTTPError{Status: resp.StatusCode, Detail: excerpt(answer)}
	}
	return answer, nil
}

// redactURL removes the URL from a *url.Error: addresses may hold tokens (webhook paths,
// query keys, user information).
func redactURL(err error) error {
	if ue, ok := err.(*url.Error); ok {
		return fmt.Errorf("%s: %w", ue.Op, ue.Err)
	}
	return err
}

// excerpt returns the first line of a service's answer, shortened, for error messages.
func excerpt(b []byte) string {
	s := strings.TrimSpace(string(b))
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i]
	}
	return truncate(s, 200)
}

// truncate shortens s to at most n bytes on a rune boundary, marking the cut with "…".
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	cut := n - len("…")
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}

// joinURL appends path segments to base, keeping base's query.
func joinURL(base string, elem ...string) (string, error) {
	u, err := url.Parse(base)
	if err != nil || u.Scheme == "" || u.Host == "" {
		return "", fmt.Errorf("invalid address: expected an absolute http(s) URL")
	}
	return u.JoinPath(elem...).String(), nil
}

// needs says what a type cannot work without.
type needs struct {
	// address: an absolute http(s) URL; token: the Secret's token.
	address, token bool
	// channel, when set, describes what spec.channel must hold.
	channel string
}

// need checks that c holds what a type needs, naming what is missing.
func (c *Config) need(n needs) error {
	if n.address {
		if c.Address == "" {
			return fmt.Errorf("%s provider needs an address (spec.address or the secret's 'address')", c.Type)
		}
		u, err := url.Parse(c.Address)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return fmt.Errorf("%s provider address is not an absolute http(s) URL", c.Type)
		}
	}
	if n.token && c.Token == "" {
		return fmt.Errorf("%s provider needs a 'token' in the secret of spec.secretRef", c.Type)
	}
	if n.channel != "" && c.Channel == "" {
		return fmt.Errorf("%s provider needs spec.channel (%s)", c.Type, n.channel)
	}
	return nil
}

// refusal reads the answer of a service that states success in its body (Slack's Web API,
// Telegram's Bot API): nil when it says ok, else a permanent failure with its reason.
func refusal(service string, answer []byte) error {
	var res struct {
		OK          bool   `json:"ok"`
		Error       string `json:"error"`
		Description string `json:"description"`
	}
	if err := json.Unmarshal(answer, &res); err != nil {
		return fmt.Errorf("failed to read %s's answer: %w", service, err)
	}
	if !res.OK {
		return fmt.Errorf("%s refused the message: %s%s: %w", service, res.Error, res.Description, errPermanent)
	}
	return nil
}
