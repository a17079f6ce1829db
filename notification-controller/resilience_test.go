package main

import (
	"fmt"
	"sync"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"

	fluxmeta "github.com/ferry-gitops/ferry/shared/api/meta"
	notificationv1beta3 "github.com/ferry-gitops/ferry/shared/api/notification/v1beta3"
	"github.com/ferry-gitops/ferry/shared/testing/testenv"
)

// TestRetriesAndRefusals: a provider answering 503 is retried until it accepts; one
// answering 400 is not retried; both count in the metrics.
func TestRetriesAndRefusals(t *testing.T) {
	ns := testenv.NewNamespace(t, env.Client)
	flaky, refusing := newSink(t), newSink(t)
	flaky.status = func(n int) int {
		if n <= 2 {
			return 503
		}
		return 0
	}
	refusing.status = func(int) int { return 400 }
	startController(t, ns, flags{})
	genericProvider(t, ns, "flaky", flaky.URL)
	create(t, &corev1.Secret{ObjectMeta: objectMeta(ns, "hmac"), StringData: map[string]string{"token": "k"}})
	genericProvider(t, ns, "refusing", refusing.URL, func(p *notificationv1beta3.Provider) {
		p.Spec.Type = notificationv1beta3.GenericHMACProvider
		p.Spec.SecretRef = &fluxmeta.LocalObjectReference{Name: "hmac"}
	})
	alertFor(t, ns, "to-flaky", "flaky")
	alertFor(t, ns, "to-refusing", "refusing")
	failedBefore := deliveries(t, notificationv1beta3.GenericHMACProvider, "failed")

	kubeEvent(t, ns, "apps", corev1.EventTypeWarning, "HealthCheckFailed", "deployment not ready", nil)
	waitWatermark(t, ns, lastEventRV(t, ns))
	g := NewWithT(t)
	g.Expect(flaky.messages()).To(Equal(map[string]int{"deployment not ready": 1}))
	g.Expect(flaky.count()).To(Equal(3), "two 503s, then accepted")
	g.Expect(refusing.count()).To(Equal(1), "a 400 is not retried")
	g.Expect(deliveries(t, notificationv1beta3.GenericHMACProvider, "failed") - failedBefore).To(Equal(1.0))
}

// TestProviderDownDoesNotBlock: a provider that hangs fills its own queue only; another
// provider gets every event, and the events the full queue cannot take are dropped and
// counted, not waited for.
func TestProviderDownDoesNotBlock(t *testing.T) {
	ns := testenv.NewNamespace(t, env.Client)
	fast, stuck := newSink(t), newSink(t)
	release := make(chan struct{})
	var once sync.Once
	t.Cleanup(func() { once.Do(func() { close(release) }) })
	stuck.status = func(int) int { <-release; return 0 }
	startController(t, ns, flags{queueSize: 40})
	genericProvider(t, ns, "fast", fast.URL, func(p *notificationv1beta3.Provider) { p.Spec.Type = "rocket" })
	genericProvider(t, ns, "stuck", stuck.URL)
	alertFor(t, ns, "to-fast", "fast")
	alertFor(t, ns, "to-stuck", "stuck")
	droppedBefore := deliveries(t, notificationv1beta3.GenericProvider, "dropped")

	const n = 120
	for i := range n {
		kubeEvent(t, ns, fmt.Sprintf("app-%d", i%8), corev1.EventTypeNormal, "Progressing", fmt.Sprintf("step %d", i), nil)
	}
	g := NewWithT(t)
	g.Eventually(func() int { return fast.count() }, testenv.Timeout, testenv.Interval).Should(Equal(n))
	g.Eventually(func() float64 { return deliveries(t, notificationv1beta3.GenericProvider, "dropped") - droppedBefore },
		testenv.Timeout, testenv.Interval).Should(BeNumerically(">=", n-44), "the stuck provider's queue (40) and its 4 workers hold the rest")
	once.Do(func() { close(release) })
}

// TestRateLimit: an event that repeats one sent to the same Alert within the interval is
// dropped (and counted); a Provider's spec.interval sets its own window.
func TestRateLimit(t *testing.T) {
	ns := testenv.NewNamespace(t, env.Client)
	limited, unlimited := newSink(t), newSink(t)
	startController(t, ns, flags{})
	genericProvider(t, ns, "limited", limited.URL)
	genericProvider(t, ns, "short", unlimited.URL, func(p *notificationv1beta3.Provider) {
		p.Spec.Interval = durationPtr(time.Millisecond)
	})
	alertFor(t, ns, "to-limited", "limited")
	alertFor(t, ns, "to-short", "short")
	// One event at a time: each is handled before the next exists, so the next comes well
	// after the short Provider's 1 ms window (a burst handled together could fall within it).
	for range 3 {
		kubeEvent(t, ns, "apps", corev1.EventTypeWarning, "BuildFailed", "same failure", map[string]string{"revision": "main@sha1:1"})
		waitWatermark(t, ns, lastEventRV(t, ns))
	}
	g := NewWithT(t)
	g.Expect(limited.messages()).To(Equal(map[string]int{"same failure": 1}))
	g.Expect(unlimited.messages()).To(Equal(map[string]int{"same failure": 3}))
}

// TestRestartInBurst: the controller is stopped in the middle of a burst of events, with no
// time to drain its queue, and started again after more events happened while it was down:
// every event reaches the provider exactly once.
func TestRestartInBurst(t *testing.T) {
	ns := testenv.NewNamespace(t, env.Client)
	s := newSink(t)
	s.delay = 5 * time.Millisecond
	first := startController(t, ns, flags{drain: time.Nanosecond})
	genericProvider(t, ns, "webhook", s.URL)
	alertFor(t, ns, "all", "webhook")

	const n = 300
	var lastRV string
	for i := range n {
		e := kubeEvent(t, ns, fmt.Sprintf("app-%d", i%20), corev1.EventTypeNormal, "Progressing", fmt.Sprintf("event %d", i), nil)
		lastRV = e.ResourceVersion
		if i == n/3 {
			first.Stop()
		}
	}
	stopped := len(s.received())
	t.Logf("%d of %d events delivered before the stop", stopped, n)
	startController(t, ns, flags{})
	waitWatermark(t, ns, lastRV)
	got := s.messages()
	g := NewWithT(t)
	g.Expect(got).To(HaveLen(n), "events lost")
	for msg, count := range got {
		g.Expect(count).To(Equal(1), "%q delivered %d times", msg, count)
	}
	g.Expect(stopped).To(BeNumerically("<", n), "the stop came after the burst")
}
