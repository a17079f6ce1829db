package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strconv"
	"sync"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	authenticationv1 "k8s.io/api/authentication/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	ctrlmetrics "sigs.k8s.io/controller-runtime/pkg/metrics"

	"github.com/ferry-gitops/ferry/notification-controller/internal/checkpoint"
	"github.com/ferry-gitops/ferry/notification-controller/internal/dispatch"
	"github.com/ferry-gitops/ferry/notification-controller/internal/ingest"
	kustomizev1 "github.com/ferry-gitops/ferry/shared/api/kustomize/v1"
	fluxmeta "github.com/ferry-gitops/ferry/shared/api/meta"
	notificationv1 "github.com/ferry-gitops/ferry/shared/api/notification/v1"
	notificationv1beta3 "github.com/ferry-gitops/ferry/shared/api/notification/v1beta3"
	sourcev1 "github.com/ferry-gitops/ferry/shared/api/source/v1"
	"github.com/ferry-gitops/ferry/shared/runtime/events"
	"github.com/ferry-gitops/ferry/shared/testing/ctrltest"
	"github.com/ferry-gitops/ferry/shared/testing/freeport"
	"github.com/ferry-gitops/ferry/shared/testing/testenv"
)

// The tests of this package run the whole controller — the three kinds, the events pipeline
// and the webhook receiver — on a real API server, one controller per test (started and
// stopped by the test, as a restart needs), against local servers standing in for providers.

var env *testenv.Env

func TestMain(m *testing.M) {
	scheme := runtime.NewScheme()
	for _, add := range []func(*runtime.Scheme) error{corev1.AddToScheme, authenticationv1.AddToScheme, notificationv1.AddToScheme,
		notificationv1beta3.AddToScheme, kustomizev1.AddToScheme, sourcev1.AddToScheme} {
		if err := add(scheme); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
	}
	os.Exit(testenv.Run(m, testenv.Options{Scheme: scheme, CRDDirectoryPaths: []string{"../deploy/crds"}, ErrorIfCRDPathMissing: true,
		Setup: func(e *testenv.Env) error { env = e; return nil }}))
}

// running is a controller a test started.
type running struct {
	m *ctrltest.Manager
	// eventsURL is where it accepts events; receiverURL where it serves webhooks.
	eventsURL, receiverURL string
	ns                     string
	once                   sync.Once
}

// Stop stops the controller (once; the test's end stops it otherwise).
func (r *running) Stop() { r.once.Do(r.m.Stop) }

// startController runs the controller with its checkpoint in ns until the test ends (or
// Stop). f may tune it.
func startController(t *testing.T, ns string, f flags, args ...string) *running {
	t.Helper()
	eventsAddr, err := freeport.Addr()
	if err != nil {
		t.Fatal(err)
	}
	if f.receiverAddr == "" {
		if f.receiverAddr, err = freeport.Addr(); err != nil {
			t.Fatal(err)
		}
	}
	if f.rateLimit == 0 {
		f.rateLimit = 5 * time.Minute
	}
	if f.queueSize == 0 {
		f.queueSize = 1000
	}
	f.namespace = ns
	m, err := ctrltest.Start(env, ctrltest.Options{
		Name: controllerName, ServesEvents: true, Register: f.register, FeatureGates: f.program().FeatureGates,
		Kinds: []client.Object{&notificationv1.Receiver{}, &notificationv1beta3.Provider{}, &notificationv1beta3.Alert{}},
		Args:  append([]string{"--events-addr=" + eventsAddr}, args...),
	})
	if err != nil {
		t.Fatal(err)
	}
	r := &running{m: m, eventsURL: "http://" + eventsAddr + "/", receiverURL: "http://" + f.receiverAddr, ns: ns}
	t.Cleanup(r.Stop)
	// The pipeline is running once it wrote its checkpoint and its endpoint answers.
	NewWithT(t).Eventually(func() error {
		if _, err := watermark(ns); err != nil {
			return err
		}
		resp, err := http.Get(r.eventsURL)
		if err != nil {
			return err
		}
		resp.Body.Close()
		return nil
	}, testenv.Timeout, testenv.Interval).Should(Succeed())
	return r
}

// watermark reads the checkpoint's watermark in ns.
func watermark(ns string) (uint64, error) {
	var cm corev1.ConfigMap
	if err := env.Client.Get(context.Background(), client.ObjectKey{Namespace: ns, Name: ingest.CheckpointName}, &cm); err != nil {
		return 0, err
	}
	var saved checkpoint.Saved
	if err := json.Unmarshal([]byte(cm.Data["checkpoint.json"]), &saved); err != nil {
		return 0, err
	}
	return saved.Events.Watermark, nil
}

// waitWatermark waits until the checkpoint in ns is past rv: every event up to rv finished.
func waitWatermark(t *testing.T, ns string, rv string) {
	t.Helper()
	want, err := strconv.ParseUint(rv, 10, 64)
	if err != nil {
		t.Fatal(err)
	}
	NewWithT(t).Eventually(func() (uint64, error) { return watermark(ns) }, 2*testenv.Timeout, testenv.Interval).
		Should(BeNumerically(">=", want))
}

// sink is a generic webhook provider that records what it receives.
type sink struct {
	*httptest.Server
	mu       sync.Mutex
	got      []events.Event
	requests int
	// status answers the nth request (from 1); 200 when nil or 0.
	status func(n int) int
	// delay holds each request.
	delay time.Duration
}

func newSink(t *testing.T) *sink {
	s := &sink{}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		s.mu.Lock()
		s.requests++
		n, status, delay := s.requests, 200, s.delay
		if s.status != nil {
			if st := s.status(n); st != 0 {
				status = st
			}
		}
		s.mu.Unlock()
		time.Sleep(delay) // the provider's latency, not a wait of the test
		if status == 200 {
			var ev events.Event
			if err := json.Unmarshal(body, &ev); err == nil {
				s.mu.Lock()
				s.got = append(s.got, ev)
				s.mu.Unlock()
			}
		}
		w.WriteHeader(status)
	}))
	t.Cleanup(s.Close)
	return s
}

// count returns how many requests the sink got.
func (s *sink) count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.requests
}

// received returns the events received so far.
func (s *sink) received() []events.Event {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]events.Event(nil), s.got...)
}

// messages counts the received events by message.
func (s *sink) messages() map[string]int {
	out := map[string]int{}
	for _, ev := range s.received() {
		out[ev.Message]++
	}
	return out
}

// genericProvider creates a generic Provider posting to url.
func genericProvider(t *testing.T, ns, name, url string, mutate ...func(*notificationv1beta3.Provider)) *notificationv1beta3.Provider {
	t.Helper()
	p := &notificationv1beta3.Provider{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns},
		Spec: notificationv1beta3.ProviderSpec{Type: notificationv1beta3.GenericProvider, Address: url}}
	for _, m := range mutate {
		m(p)
	}
	create(t, p)
	return p
}

// alertFor creates an Alert of the Kustomizations in ns to provider.
func alertFor(t *testing.T, ns, name, provider string, mutate ...func(*notificationv1beta3.Alert)) *notificationv1beta3.Alert {
	t.Helper()
	a := &notificationv1beta3.Alert{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns},
		Spec: notificationv1beta3.AlertSpec{ProviderRef: fluxmeta.LocalObjectReference{Name: provider},
			EventSources: []notificationv1.CrossNamespaceObjectReference{{Kind: kustomizev1.KustomizationKind, Name: "*"}}}}
	for _, m := range mutate {
		m(a)
	}
	create(t, a)
	// The cache serves the Alert once the Alert reconciler has seen it (its event).
	NewWithT(t).Eventually(func() []string {
		return eventReasons(t, ns, "Alert", name)
	}, testenv.Timeout, testenv.Interval).ShouldNot(BeEmpty())
	return a
}

// eventReasons returns "<type>/<reason>" of the events recorded for an object.
func eventReasons(t testing.TB, ns, kind, name string) []string {
	var list corev1.EventList
	if err := env.Client.List(context.Background(), &list, client.InNamespace(ns)); err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range list.Items {
		if e.InvolvedObject.Kind == kind && e.InvolvedObject.Name == name {
			out = append(out, e.Type+"/"+e.Reason+": "+e.Message)
		}
	}
	return out
}

// objectMeta names an object in ns.
func objectMeta(ns, name string) metav1.ObjectMeta {
	return metav1.ObjectMeta{Namespace: ns, Name: name}
}

func durationPtr(d time.Duration) *metav1.Duration { return &metav1.Duration{Duration: d} }

func create(t testing.TB, obj client.Object) {
	t.Helper()
	if err := env.Client.Create(context.Background(), obj); err != nil {
		t.Fatalf("failed to create %T %s: %v", obj, obj.GetName(), err)
	}
}

// kubeEvent records a Kubernetes Event about a Kustomization the way kustomize-controller's
// recorder writes one (metadata as group-prefixed annotations) and returns it as stored.
func kubeEvent(t *testing.T, ns, object, eventType, reason, message string, metadata map[string]string) *corev1.Event {
	t.Helper()
	e := &corev1.Event{
		ObjectMeta: metav1.ObjectMeta{GenerateName: object + ".", Namespace: ns,
			Annotations: events.Prefixed(kustomizev1.GroupVersion.Group, metadata)},
		InvolvedObject: corev1.ObjectReference{Kind: kustomizev1.KustomizationKind, Name: object, Namespace: ns,
			APIVersion: kustomizev1.GroupVersion.String()},
		Type: eventType, Reason: reason, Message: message, Count: 1,
		Source:         corev1.EventSource{Component: "kustomize-controller"},
		FirstTimestamp: metav1.Now(), LastTimestamp: metav1.Now(),
	}
	create(t, e)
	return e
}

// eventsCounted reads ferry_notification_events_total for a source and outcome.
func eventsCounted(t *testing.T, source, outcome string) float64 {
	t.Helper()
	m, err := dispatch.NewMetrics(ctrlmetrics.Registry)
	if err != nil {
		t.Fatal(err)
	}
	return counterValue(m.Events.WithLabelValues(source, outcome))
}

// deliveries reads ferry_notification_deliveries_total for a provider type and result.
func deliveries(t *testing.T, typ, result string) float64 {
	t.Helper()
	m, err := dispatch.NewMetrics(ctrlmetrics.Registry)
	if err != nil {
		t.Fatal(err)
	}
	return counterValue(m.Deliveries.WithLabelValues(typ, result))
}
