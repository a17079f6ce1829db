package webhook

import (
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
)

// generic needs nothing but the secret path: any request acts (spec.events is not used).
func generic(r Request, _ Secret, _ []string, _ Options) (Verdict, error) {
	return Verdict{Act: true, Payload: optionalJSON(r.Body)}, nil
}

// genericHMAC checks X-Signature, "<sha1|sha256|sha512>=<hex HMAC of the body>".
func genericHMAC(r Request, s Secret, _ []string, _ Options) (Verdict, error) {
	if err := verifyHMAC(r.Header.Get("X-Signature"), r.Body, s.Token, "sha1", "sha256", "sha512"); err != nil {
		return Verdict{}, err
	}
	return Verdict{Act: true, Payload: optionalJSON(r.Body)}, nil
}

// github checks X-Hub-Signature-256 (or the older SHA-1 X-Hub-Signature), answers pings
// without acting, and filters on X-GitHub-Event. Gitea and Forgejo send the same headers.
func github(r Request, s Secret, events []string, _ Options) (Verdict, error) {
	var err error
	if sig := r.Header.Get("X-Hub-Signature-256"); sig != "" {
		err = verifyHMAC(sig, r.Body, s.Token, "sha256")
	} else {
		err = verifyHMAC(r.Header.Get("X-Hub-Signature"), r.Body, s.Token, "sha1")
	}
	if err != nil {
		return Verdict{}, err
	}
	event := r.Header.Get("X-GitHub-Event")
	if event == "" {
		return Verdict{}, fmt.Errorf("no X-GitHub-Event header: %w", ErrBadRequest)
	}
	payload, err := githubPayload(r)
	if err != nil {
		return Verdict{}, err
	}
	if event == "ping" {
		return Verdict{Event: event, Payload: payload}, nil
	}
	return filtered(event, events, payload), nil
}

// githubPayload reads a GitHub delivery as JSON, or as a form whose payload field holds the
// JSON (a webhook configured with application/x-www-form-urlencoded).
func githubPayload(r Request) (map[string]any, error) {
	body := r.Body
	if strings.HasPrefix(r.Header.Get("Content-Type"), "application/x-www-form-urlencoded") {
		form, err := url.ParseQuery(string(body))
		if err != nil {
			return nil, fmt.Errorf("the form cannot be parsed: %w", ErrBadRequest)
		}
		body = []byte(form.Get("payload"))
	}
	return jsonPayload(body)
}

// gitlab compares X-Gitlab-Token with the token and filters on X-Gitlab-Event.
func gitlab(r Request, s Secret, events []string, _ Options) (Verdict, error) {
	if !equalSecret(r.Header.Get("X-Gitlab-Token"), s.Token) {
		return Verdict{}, fmt.Errorf("missing or wrong X-Gitlab-Token: %w", ErrUnauthorized)
	}
	event := r.Header.Get("X-Gitlab-Event")
	if event == "" {
		return Verdict{}, fmt.Errorf("no X-Gitlab-Event header: %w", ErrBadRequest)
	}
	payload, err := jsonPayload(r.Body)
	if err != nil {
		return Verdict{}, err
	}
	return filtered(event, events, payload), nil
}

// bitbucketPing is the event Bitbucket Server sends to test a webhook.
const bitbucketPing = "diagnostics:ping"

// bitbucket (Bitbucket Server and Data Center) checks X-Hub-Signature, "sha256=<hex>",
// answers its test ping without acting, and filters on X-Event-Key.
func bitbucket(r Request, s Secret, events []string, _ Options) (Verdict, error) {
	if err := verifyHMAC(r.Header.Get("X-Hub-Signature"), r.Body, s.Token, "sha256"); err != nil {
		return Verdict{}, err
	}
	event := r.Header.Get("X-Event-Key")
	if event == "" {
		return Verdict{}, fmt.Errorf("no X-Event-Key header: %w", ErrBadRequest)
	}
	payload, err := jsonPayload(r.Body)
	if err != nil {
		return Verdict{}, err
	}
	if event == bitbucketPing {
		return Verdict{Event: event, Payload: payload}, nil
	}
	return filtered(event, events, payload), nil
}

// fieldsPresent decodes body into into and checks that ok holds afterwards.
func fieldsPresent(body []byte, into any, ok func() bool, what string) (map[string]any, error) {
	if err := json.Unmarshal(body, into); err != nil || !ok() {
		return nil, fmt.Errorf("the body is not a %s payload: %w", what, ErrBadRequest)
	}
	return jsonPayload(body)
}
