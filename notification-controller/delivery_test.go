package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"strconv"
	"testing"

	. "github.com/onsi/gomega"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	kustomizev1 "github.com/ferry-gitops/ferry/shared/api/kustomize/v1"
	notificationv1 "github.com/ferry-gitops/ferry/shared/api/notification/v1"
	notificationv1beta3 "github.com/ferry-gitops/ferry/shared/api/notification/v1beta3"
	"github.com/ferry-gitops/ferry/shared/runtime/events"
	"github.com/ferry-gitops/ferry/shared/testing/testenv"
)

func counterValue(c prometheus.Counter) float64 { return testutil.ToFloat64(c) }

// kustomization creates a Kustomization for events to be about.
func kustomization(t *testing.T, ns, name string, labels map[string]string) *kustomizev1.Kustomization {
	t.Helper()
	k := &kustomizev1.Kustomization{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns, Labels: labels},
		Spec: kustomizev1.KustomizationSpec{Interval: metav1.Duration{Duration: 3600e9}, Prune: false,
			SourceRef: kustomizev1.CrossNamespaceSourceReference{Kind: "GitRepository", Name: "repo"}},
	}
	create(t, k)
	return k
}

// TestKustomizationFailureAlert: kustomize-controller records that a Kustomization failed
// (a Warning event with the revision); an Alert at error severity with a summary sends one
// notification to its Provider, with the revision and the summary in the metadata. An info
// event of the same object is not sent.
func TestKustomizationFailureAlert(t *testing.T) {
	ns := testenv.NewNamespace(t, env.Client)
	s := newSink(t)
	startController(t, ns, flags{})
	genericProvider(t, ns, "webhook", s.URL)
	alertFor(t, ns, "errors", "webhook", func(a *notificationv1beta3.Alert) {
		a.Spec.EventSeverity = events.SeverityError
		a.Spec.Summary = "prod cluster"
		a.Spec.EventMetadata = map[string]string{"env": "prod", "revision": "not this one"}
	})
	ks := kustomization(t, ns, "apps", nil)
	rec, err := events.NewRecorder(env.Config, env.Scheme, "kustomize-controller", "")
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	rec.Event(ctx, ks, corev1.EventTypeNormal, "ReconciliationSucceeded", "applied revision main@sha1:0001", map[string]string{"revision": "main@sha1:0001"})
	rec.Event(ctx, ks, corev1.EventTypeWarning, "BuildFailed", "kustomize build failed: missing resource", map[string]string{"revision": "main@sha1:0002"})

	g := NewWithT(t)
	g.Eventually(s.received, testenv.Timeout, testenv.Interval).Should(HaveLen(1))
	last := lastEventRV(t, ns)
	waitWatermark(t, ns, last)
	got := s.received()
	g.Expect(got).To(HaveLen(1), "the info event was forwarded by an error Alert, or the error twice")
	ev := got[0]
	g.Expect(ev.Severity).To(Equal(events.SeverityError))
	g.Expect(ev.Reason).To(Equal("BuildFailed"))
	g.Expect(ev.InvolvedObject.Kind).To(Equal("Kustomization"))
	g.Expect(ev.ReportingController).To(Equal("kustomize-controller"))
	g.Expect(ev.Metadata).To(HaveKeyWithValue("revision", "main@sha1:0002"), "the event's own revision wins over eventMetadata")
	g.Expect(ev.Metadata).To(HaveKeyWithValue("summary", "prod cluster"))
	g.Expect(ev.Metadata).To(HaveKeyWithValue("env", "prod"))
}

// lastEventRV is the resourceVersion of the newest Event in ns (the checkpoint reaches it
// once every Event up to it is finished).
func lastEventRV(t *testing.T, ns string) string {
	t.Helper()
	var list corev1.EventList
	if err := env.Client.List(context.Background(), &list, client.InNamespace(ns)); err != nil {
		t.Fatal(err)
	}
	var last uint64
	for _, e := range list.Items {
		if v, _ := strconv.ParseUint(e.ResourceVersion, 10, 64); v > last {
			last = v
		}
	}
	return strconv.FormatUint(last, 10)
}

// TestAlertSelection: eventSources by name glob and by labels, inclusion and exclusion lists,
// and suspend decide what an Alert forwards.
func TestAlertSelection(t *testing.T) {
	ns := testenv.NewNamespace(t, env.Client)
	s := newSink(t)
	startController(t, ns, flags{})
	genericProvider(t, ns, "webhook", s.URL)
	kustomization(t, ns, "team-a", map[string]string{"team": "a"})
	kustomization(t, ns, "team-b", map[string]string{"team": "b"})
	alertFor(t, ns, "globs", "webhook", func(a *notificationv1beta3.Alert) {
		a.Spec.EventSources = []notificationv1.CrossNamespaceObjectReference{{Kind: "Kustomization", Name: "web-*"}}
		a.Spec.InclusionList = []string{"^deploy"}
		a.Spec.ExclusionList = []string{"dry-run"}
	})
	alertFor(t, ns, "labels", "webhook", func(a *notificationv1beta3.Alert) {
		a.Spec.EventSources = []notificationv1.CrossNamespaceObjectReference{{Kind: "Kustomization", Name: "*", MatchLabels: map[string]string{"team": "a"}}}
	})
	alertFor(t, ns, "suspended", "webhook", func(a *notificationv1beta3.Alert) { a.Spec.Suspend = true })

	for _, e := range []struct{ object, message string }{
		{"web-1", "deploy web-1"},         // globs
		{"web-2", "deploy web-2 dry-run"}, // excluded
		{"web-3", "prune web-3"},          // not included
		{"api", "deploy api"},             // name does not match, no labels
		{"team-a", "team a applied"},      // labels
		{"team-b", "team b applied"},      // other labels
	} {
		kubeEvent(t, ns, e.object, corev1.EventTypeNormal, "Progressing", e.message, nil)
	}
	waitWatermark(t, ns, lastEventRV(t, ns))
	NewWithT(t).Expect(s.messages()).To(Equal(map[string]int{"deploy web-1": 1, "team a applied": 1}))
}

// TestEventEndpointAndTwins: an event POSTed in Flux's format by a Flux controller (metadata
// keys prefixed by the group) is delivered; a controller that records each event in the API
// and also POSTs it gets it delivered once; a body that is not an event is refused.
func TestEventEndpointAndTwins(t *testing.T) {
	ns := testenv.NewNamespace(t, env.Client)
	s := newSink(t)
	c := startController(t, ns, flags{})
	genericProvider(t, ns, "webhook", s.URL)
	alertFor(t, ns, "all", "webhook")
	ks := kustomization(t, ns, "apps", nil)

	post := func(body []byte) int {
		resp, err := http.Post(c.eventsURL, "application/json", bytes.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	flux, _ := json.Marshal(events.Event{
		InvolvedObject: corev1.ObjectReference{Kind: "Kustomization", Name: "from-flux", Namespace: ns, APIVersion: kustomizev1.GroupVersion.String()},
		Severity:       "info", Reason: "ReconciliationSucceeded", Message: "Reconciliation finished",
		Metadata:            map[string]string{kustomizev1.GroupVersion.Group + "/revision": "main@sha1:abc"},
		ReportingController: "kustomize-controller",
	})
	httpSeen := func() float64 { return eventsCounted(t, "http", "received") + eventsCounted(t, "http", "twin") }
	before := httpSeen()
	g := NewWithT(t)
	g.Expect(post(flux)).To(Equal(http.StatusAccepted))
	g.Expect(post([]byte(`{"severity":"info"}`))).To(Equal(http.StatusBadRequest))

	both, err := events.NewRecorder(env.Config, env.Scheme, "kustomize-controller", c.eventsURL)
	if err != nil {
		t.Fatal(err)
	}
	both.Event(context.Background(), ks, corev1.EventTypeNormal, "ReconciliationSucceeded", "twice sent, once delivered", map[string]string{"revision": "main@sha1:def"})
	g.Eventually(s.messages, testenv.Timeout, testenv.Interval).Should(HaveKey("twice sent, once delivered"))
	g.Eventually(func() float64 { return httpSeen() - before }, testenv.Timeout, testenv.Interval).Should(Equal(2.0), "both POSTs handled")
	g.Eventually(func() []string { return eventReasons(t, ns, "Kustomization", "apps") }, testenv.Timeout, testenv.Interval).ShouldNot(BeEmpty())
	waitWatermark(t, ns, lastEventRV(t, ns))
	g.Expect(s.messages()).To(Equal(map[string]int{"Reconciliation finished": 1, "twice sent, once delivered": 1}))
	for _, ev := range s.received() {
		g.Expect(ev.Metadata).To(HaveKey("revision"), "metadata lost its revision: %v", ev.Metadata)
	}
}
