package registry

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/http"

	"github.com/google/go-containerregistry/pkg/v1/remote/transport"
)

// Errors that Explain wraps, for callers to choose a condition reason with errors.Is.
var (
	// ErrAuth marks credentials the registry refused, or none where some are needed.
	ErrAuth = errors.New("authentication failed")
	// ErrNotFound marks a repository, tag or digest the registry does not have.
	ErrNotFound = errors.New("not found")
	// ErrTLS marks a TLS handshake that failed: an unknown certificate authority, a
	// certificate for another host, a client certificate refused, or plain HTTP spoken to a
	// TLS server.
	ErrTLS = errors.New("TLS handshake failed")
	// ErrDNS marks a registry host name that does not resolve.
	ErrDNS = errors.New("the registry host does not resolve")
	// ErrRateLimited marks a registry that asked to be retried later (*RetryAfterError
	// carries how much later).
	ErrRateLimited = errors.New("retry later")
)

// Explain turns a registry failure into "failed to <what>: <reason>" that a user understands,
// wrapping ErrAuth, ErrNotFound, ErrTLS, ErrDNS or ErrRateLimited where it is one of them.
// No secret value is ever part of a registry's error.
func Explain(what string, err error) error {
	var (
		te  *transport.Error
		dns *net.DNSError
		ra  *RetryAfterError
	)
	// A loopback registry is tried over HTTPS and then HTTP: the HTTPS failure says more.
	switch tlsErr := tlsError(err); {
	case errors.As(err, &ra):
		return fmt.Errorf("failed to %s: %w", what, ra)
	case errors.As(err, &dns):
		return fmt.Errorf("failed to %s: %w: %s", what, ErrDNS, dns.Name)
	case tlsErr != nil:
		return fmt.Errorf("failed to %s: %w: %v", what, ErrTLS, tlsErr)
	case errors.As(err, &te):
		return explainStatus(what, te, err)
	case errors.Is(err, context.DeadlineExceeded):
		return fmt.Errorf("failed to %s: timeout: %w", what, err)
	}
	return fmt.Errorf("failed to %s: %w", what, err)
}

// explainStatus explains an error answer of the registry.
func explainStatus(what string, te *transport.Error, err error) error {
	switch {
	case te.StatusCode == http.StatusUnauthorized || te.StatusCode == http.StatusForbidden:
		return fmt.Errorf("failed to %s: %w (HTTP %d)", what, ErrAuth, te.StatusCode)
	case te.StatusCode == http.StatusNotFound || hasCode(te, transport.ManifestUnknownErrorCode, transport.NameUnknownErrorCode):
		return fmt.Errorf("failed to %s: %w", what, ErrNotFound)
	case te.StatusCode == http.StatusTooManyRequests:
		return fmt.Errorf("failed to %s: %w: the registry's rate limit was reached (HTTP 429)", what, ErrRateLimited)
	case te.StatusCode >= http.StatusInternalServerError:
		return fmt.Errorf("failed to %s: the registry failed (HTTP %d): %w", what, te.StatusCode, err)
	}
	return fmt.Errorf("failed to %s: %w", what, err)
}

// tlsError returns the error of a failed TLS handshake within err, or nil.
func tlsError(err error) error {
	var (
		unknownCA x509.UnknownAuthorityError
		invalid   x509.CertificateInvalidError
		hostname  x509.HostnameError
		record    tls.RecordHeaderError
		verify    *tls.CertificateVerificationError
		alert     tls.AlertError
	)
	switch {
	case errors.As(err, &verify):
		return verify
	case errors.As(err, &unknownCA):
		return unknownCA
	case errors.As(err, &invalid):
		return invalid
	case errors.As(err, &hostname):
		return hostname
	case errors.As(err, &record):
		return record
	case errors.As(err, &alert):
		return alert
	}
	return nil
}

func hasCode(te *transport.Error, codes ...transport.ErrorCode) bool {
	for _, d := range te.Errors {
		for _, c := range codes {
			if d.Code == c {
				return true
			}
		}
	}
	return false
}
