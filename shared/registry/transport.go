package registry

import (
	"fmt"
	"io"
	"net/http"
	"strconv"
	"time"

	"github.com/ferry-gitops/ferry/shared/secrets"
)

// newTransport is an HTTP transport with cfg's TLS material and proxy.
func newTransport(cfg Config) (*http.Transport, error) {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.Proxy = nil
	if cfg.Proxy != nil {
		tr.Proxy = http.ProxyURL(cfg.Proxy)
	}
	tlsCfg, err := secrets.TLSFromPEM(cfg.CAData, cfg.CertData, cfg.KeyData)
	if err != nil {
		return nil, err
	}
	tr.TLSClientConfig = tlsCfg
	return tr, nil
}

// Retry bounds how a request waits for a registry that answers HTTP 429 (too many requests)
// or 500, 502, 503, 504 (unavailable for now).
type Retry struct {
	// Attempts is how many times a request is sent at most.
	Attempts int
	// MaxWait is the longest wait between two attempts that a request sits through; a
	// registry asking (with Retry-After) for a longer one fails the request at once with a
	// *RetryAfterError, so that the caller comes back later instead of holding a worker.
	MaxWait time.Duration
	// Backoff is the wait before the second attempt when the registry gives no Retry-After;
	// it doubles for each attempt after.
	Backoff time.Duration
}

// DefaultRetry sends a request up to three times, waiting what Retry-After asks up to ten
// seconds, or one and then two seconds without it.
var DefaultRetry = Retry{Attempts: 3, MaxWait: 10 * time.Second, Backoff: time.Second}

// RetryAfterError is a request the registry asked to send again no sooner than After.
type RetryAfterError struct {
	// StatusCode is the registry's answer: 429, or a 5xx.
	StatusCode int
	// After is how long the registry asked to wait.
	After time.Duration
}

// Error says what the registry answered and how long it asks to wait.
func (e *RetryAfterError) Error() string {
	what := "is unavailable"
	if e.StatusCode == http.StatusTooManyRequests {
		what = "rate limit was reached"
	}
	return fmt.Sprintf("the registry's %s (HTTP %d): it asks to retry after %s", what, e.StatusCode, e.After)
}

// Is makes a RetryAfterError match ErrRateLimited.
func (e *RetryAfterError) Is(target error) bool { return target == ErrRateLimited }

// retryTransport sends a request again when the registry answers 429 or 5xx, after the
// Retry-After the registry gives (or a doubling back-off without it), within retry's bounds
// and the request's deadline.
type retryTransport struct {
	inner http.RoundTripper
	retry Retry
}

// RoundTrip sends req, and sends it again as the registry asks.
func (t *retryTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	for attempt := 1; ; attempt++ {
		resp, err := t.inner.RoundTrip(req)
		if err != nil || !retryable(resp.StatusCode) || !replayable(req) {
			return resp, err
		}
		wait, asked := retryAfter(resp.Header.Get("Retry-After"), time.Now())
		if !asked {
			wait = t.retry.Backoff << (attempt - 1)
		}
		deadline, hasDeadline := req.Context().Deadline()
		tooLong := wait > t.retry.MaxWait || (hasDeadline && time.Now().Add(wait).After(deadline))
		if attempt >= t.retry.Attempts || tooLong {
			if !asked {
				return resp, nil // the library explains the status as usual
			}
			discard(resp)
			return nil, &RetryAfterError{StatusCode: resp.StatusCode, After: wait}
		}
		discard(resp)
		timer := time.NewTimer(wait)
		select {
		case <-timer.C:
		case <-req.Context().Done():
			timer.Stop()
			return nil, req.Context().Err()
		}
	}
}

// retryable reports whether status asks the client to come back later.
func retryable(status int) bool {
	switch status {
	case http.StatusTooManyRequests, http.StatusInternalServerError, http.StatusBadGateway,
		http.StatusServiceUnavailable, http.StatusGatewayTimeout:
		return true
	}
	return false
}

// replayable reports whether req can be sent again as it is: it has no body (listings,
// manifest and blob reads; not token requests that post a form).
func replayable(req *http.Request) bool {
	return req.Body == nil || req.Body == http.NoBody
}

// maxRetryAfter caps what a registry may ask for, so that a bogus header cannot park an
// object for days.
const maxRetryAfter = time.Hour

// retryAfter parses a Retry-After header, in seconds or as an HTTP date, into a wait from
// now; ok is false when the header is absent or unreadable.
func retryAfter(v string, now time.Time) (time.Duration, bool) {
	if v == "" {
		return 0, false
	}
	var d time.Duration
	if secs, err := strconv.Atoi(v); err == nil {
		d = time.Duration(secs) * time.Second
	} else if t, err := http.ParseTime(v); err == nil {
		d = t.Sub(now).Round(time.Second)
	} else {
		return 0, false
	}
	return min(max(d, 0), maxRetryAfter), true
}

// discard reads what is left of a response's body, so its connection can be reused, and
// closes it.
func discard(resp *http.Response) {
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	_ = resp.Body.Close()
}
