package git

import (
	"context"
	"errors"
	"fmt"
	"net/url"

	"github.com/go-git/go-git/v5/plumbing/transport"
)

// ErrAuthFailed is returned when the remote rejects the credentials.
var ErrAuthFailed = errors.New("authentication failed")

// ErrRefNotFound is returned when the remote has no such reference.
var ErrRefNotFound = errors.New("reference not found")

// RemoteError turns an error of talking to the remote at rawURL into a message a user
// understands, without secrets: "failed to <verb> <url without user info>: …", wrapping
// ErrAuthFailed when the remote refused the credentials.
func RemoteError(verb, rawURL string, err error) error {
	where := Redact(rawURL)
	switch {
	case errors.Is(err, transport.ErrAuthenticationRequired), errors.Is(err, transport.ErrAuthorizationFailed):
		return fmt.Errorf("failed to %s %s: %w", verb, where, ErrAuthFailed)
	case errors.Is(err, transport.ErrRepositoryNotFound):
		return fmt.Errorf("failed to %s %s: repository not found", verb, where)
	case errors.Is(err, context.DeadlineExceeded):
		return fmt.Errorf("failed to %s %s: timeout: %w", verb, where, err)
	}
	return fmt.Errorf("failed to %s %s: %w", verb, where, err)
}

// Redact removes user info from a URL so that no password reaches a message.
func Redact(rawURL string) string {
	u, err := url.Parse(rawURL)
	if err != nil || u.User == nil {
		return rawURL
	}
	u.User = nil
	return u.String()
}
