package registry

import (
	"context"
	"errors"
	"net/http"
	"testing"
	"time"

	. "github.com/onsi/gomega"

	testregistry "github.com/ferry-gitops/ferry/shared/testing/registry"
)

// TestRetryAfter: a registry answering 429 or 503 is asked again after the Retry-After it
// gives when that is short; a longer one fails at once with the wait, for the caller to come
// back then; without Retry-After the client backs off a few times and gives up.
func TestRetryAfter(t *testing.T) {
	r := testregistry.New(t, testregistry.Options{})
	pushTags(t, r, "app", "1.0.0", "1.1.0")
	repo := repository(t, r.Repo("app"))

	t.Run("short Retry-After is waited for", func(t *testing.T) {
		g := NewWithT(t)
		r.Throttle(1, http.StatusTooManyRequests, "1")
		r.ResetCounts()
		start := time.Now()
		tags, err := newClient(t, Config{Insecure: true}).ListTags(context.Background(), repo)
		g.Expect(err).NotTo(HaveOccurred())
		g.Expect(tags).To(ConsistOf("1.0.0", "1.1.0"))
		g.Expect(r.Throttled()).To(BeZero())
		g.Expect(r.Counts().TagLists).To(Equal(int64(1)), "one refused, one served")
		g.Expect(time.Since(start)).To(BeNumerically(">=", time.Second), "not asked again before Retry-After")
	})
	t.Run("long Retry-After is handed to the caller", func(t *testing.T) {
		g := NewWithT(t)
		r.Throttle(1, http.StatusTooManyRequests, "120")
		_, err := newClient(t, Config{Insecure: true}).ListTags(context.Background(), repo)
		g.Expect(err).To(MatchError(ErrRateLimited))
		var ra *RetryAfterError
		g.Expect(errors.As(err, &ra)).To(BeTrue())
		g.Expect(ra.After).To(Equal(2 * time.Minute))
		g.Expect(err.Error()).To(ContainSubstring("rate limit was reached (HTTP 429): it asks to retry after 2m0s"))
		g.Expect(r.Throttled()).To(BeZero(), "asked once")
	})
	t.Run("5xx without Retry-After backs off and gives up", func(t *testing.T) {
		g := NewWithT(t)
		r.Throttle(10, http.StatusServiceUnavailable, "")
		_, err := newClient(t, Config{Insecure: true, Retry: Retry{Attempts: 3, MaxWait: time.Second, Backoff: 10 * time.Millisecond}}).ListTags(context.Background(), repo)
		g.Expect(err).To(MatchError(ContainSubstring("503")))
		g.Expect(r.Throttled()).To(Equal(7), "three attempts")
		r.Throttle(0, 0, "")
	})
	t.Run("a deadline shorter than Retry-After", func(t *testing.T) {
		g := NewWithT(t)
		r.Throttle(1, http.StatusServiceUnavailable, "5")
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		_, err := newClient(t, Config{Insecure: true}).ListTags(ctx, repo)
		g.Expect(err).To(MatchError(ErrRateLimited))
		g.Expect(err.Error()).To(ContainSubstring("is unavailable (HTTP 503): it asks to retry after 5s"))
	})
}

func TestParseRetryAfter(t *testing.T) {
	now := time.Date(2025, 1, 1, 12, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		in   string
		want time.Duration
		ok   bool
	}{
		{"", 0, false},
		{"3", 3 * time.Second, true},
		{"-3", 0, true},
		{"999999", time.Hour, true},
		{now.Add(90 * time.Second).Format(http.TimeFormat), 90 * time.Second, true},
		{"soon", 0, false},
	} {
		t.Run(tc.in, func(t *testing.T) {
			got, ok := retryAfter(tc.in, now)
			if got != tc.want || ok != tc.ok {
				t.Fatalf("retryAfter(%q) = %s, %v; want %s, %v", tc.in, got, ok, tc.want, tc.ok)
			}
		})
	}
}
