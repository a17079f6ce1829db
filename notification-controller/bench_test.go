package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"

	kustomizev1 "github.com/ferry-gitops/ferry/shared/api/kustomize/v1"
	fluxmeta "github.com/ferry-gitops/ferry/shared/api/meta"
	notificationv1 "github.com/ferry-gitops/ferry/shared/api/notification/v1"
	notificationv1beta3 "github.com/ferry-gitops/ferry/shared/api/notification/v1beta3"
	"github.com/ferry-gitops/ferry/shared/runtime/events"
	"github.com/ferry-gitops/ferry/shared/testing/rss"
	"github.com/ferry-gitops/ferry/shared/testing/testenv"
)

// benchInt reads a benchmark size from the environment, or def.
func benchInt(b *testing.B, name string, def int) int {
	if v := os.Getenv(name); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			b.Fatalf("%s: %v", name, err)
		}
		return n
	}
	return def
}

// createdKey is the metadata key carrying the time an event was created, in Unix nanoseconds.
const createdKey = "created"

// receipts is a provider's record of what it received: the latency of each notification
// from the creation of its Event, and how often each message arrived.
type receipts struct {
	mu        sync.Mutex
	latencies []time.Duration
	messages  map[string]int
}

// record notes one notification.
func (r *receipts) record(message, created string) {
	ns, _ := strconv.ParseInt(created, 10, 64)
	r.mu.Lock()
	r.latencies = append(r.latencies, time.Since(time.Unix(0, ns)))
	r.messages[message]++
	r.mu.Unlock()
}

// benchProvider serves a provider type of the benchmark, reading the created time from its
// payload: Flux's event (generic, generic-hmac) or a Slack message's fields (slack).
func benchProvider(b *testing.B, typ string, r *receipts) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		if typ == notificationv1beta3.SlackProvider {
			var p slackBody
			_ = json.Unmarshal(body, &p)
			if len(p.Attachments) == 1 {
				for _, f := range p.Attachments[0].Fields {
					if f.Title == createdKey {
						r.record(p.Attachments[0].Text, f.Value)
					}
				}
			}
		} else {
			var ev events.Event
			_ = json.Unmarshal(body, &ev)
			r.record(ev.Message, ev.Metadata[createdKey])
		}
		w.WriteHeader(http.StatusOK)
	}))
	b.Cleanup(srv.Close)
	return srv
}

type slackBody struct {
	Attachments []struct {
		Text   string `json:"text"`
		Fields []struct {
			Title string `json:"title"`
			Value string `json:"value"`
		} `json:"fields"`
	} `json:"attachments"`
}

// BenchmarkEventDelivery: 10,000 Kubernetes Events (FERRY_BENCH_EVENTS) about 1,000
// Kustomizations (FERRY_BENCH_OBJECTS), created as fast as the API server takes them, go
// through 10 Alerts (each selects the objects whose name ends in its digit) to 3 Providers
// (generic, generic-hmac, slack), the controller running as its own process. It reports the
// notifications delivered, lost and duplicated, the latency from the Event's creation to the
// provider's receipt (p50, p99), and the controller's peak resident memory.
func BenchmarkEventDelivery(b *testing.B) {
	nEvents, nObjects := benchInt(b, "FERRY_BENCH_EVENTS", 10_000), benchInt(b, "FERRY_BENCH_OBJECTS", 1_000)
	for range b.N {
		r := &receipts{messages: map[string]int{}}
		ns := testenv.NewNamespace(b, env.Client)
		setupBenchAlerts(b, ns, r)
		p := startProcess(b, ns, "--watch-all-namespaces=true")
		waitAlertsServed(b, ns)
		start := time.Now()
		lastRV := createEvents(b, ns, nEvents, nObjects)
		created := time.Since(start)
		deadline := time.Now().Add(5 * time.Minute)
		for {
			if n := delivered(r); n >= nEvents || time.Now().After(deadline) {
				break
			}
			time.Sleep(50 * time.Millisecond)
		}
		waitWatermarkB(b, ns, lastRV)
		usage, err := rss.Of(p.pid())
		if err != nil {
			b.Fatal(err)
		}
		reportDelivery(b, r, nEvents, created, time.Since(start), usage)
	}
}

// setupBenchAlerts creates the 3 Providers and 10 Alerts of the benchmark in ns.
func setupBenchAlerts(b *testing.B, ns string, r *receipts) {
	types := []string{notificationv1beta3.GenericProvider, notificationv1beta3.GenericHMACProvider, notificationv1beta3.SlackProvider}
	create(b, &corev1.Secret{ObjectMeta: objectMeta(ns, "hmac"), StringData: map[string]string{"token": "bench"}})
	for i, typ := range types {
		p := &notificationv1beta3.Provider{ObjectMeta: objectMeta(ns, fmt.Sprintf("provider-%d", i)),
			Spec: notificationv1beta3.ProviderSpec{Type: typ, Address: benchProvider(b, typ, r).URL, Channel: "bench"}}
		if typ == notificationv1beta3.GenericHMACProvider {
			p.Spec.SecretRef = &fluxmeta.LocalObjectReference{Name: "hmac"}
		}
		create(b, p)
	}
	for d := range 10 {
		create(b, &notificationv1beta3.Alert{ObjectMeta: objectMeta(ns, fmt.Sprintf("alert-%d", d)),
			Spec: notificationv1beta3.AlertSpec{ProviderRef: fluxmeta.LocalObjectReference{Name: fmt.Sprintf("provider-%d", d%3)},
				EventSources: []notificationv1.CrossNamespaceObjectReference{{Kind: kustomizev1.KustomizationKind, Name: fmt.Sprintf("app-*%d", d)}}}})
	}
}

// waitAlertsServed waits until the controller checked every Alert (its events), so that it
// forwards from the first Event on.
func waitAlertsServed(b *testing.B, ns string) {
	deadline := time.Now().Add(time.Minute)
	for time.Now().Before(deadline) {
		served := 0
		for d := range 10 {
			if len(eventReasons(b, ns, "Alert", fmt.Sprintf("alert-%d", d))) > 0 {
				served++
			}
		}
		if served == 10 {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	b.Fatal("the controller did not check the Alerts within a minute")
}

// createEvents creates n Events about m Kustomizations with 16 clients in parallel, each
// Event carrying its creation time, and returns the newest resourceVersion.
func createEvents(b *testing.B, ns string, n, m int) string {
	cfg := rest.CopyConfig(env.Config)
	cfg.QPS, cfg.Burst = 5000, 5000
	c, err := client.New(cfg, client.Options{Scheme: env.Scheme})
	if err != nil {
		b.Fatal(err)
	}
	var (
		mu   sync.Mutex
		last uint64
		wg   sync.WaitGroup
		next = make(chan int)
	)
	for range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				e := benchEvent(ns, i, m)
				if err := c.Create(context.Background(), e); err != nil {
					b.Error(err)
					continue
				}
				rv, _ := strconv.ParseUint(e.ResourceVersion, 10, 64)
				mu.Lock()
				last = max(last, rv)
				mu.Unlock()
			}
		}()
	}
	for i := range n {
		next <- i
	}
	close(next)
	wg.Wait()
	return strconv.FormatUint(last, 10)
}

// benchEvent is event i, about Kustomization app-<i mod m>.
func benchEvent(ns string, i, m int) *corev1.Event {
	obj := fmt.Sprintf("app-%d", i%m)
	typ, reason := corev1.EventTypeNormal, "ReconciliationSucceeded"
	if i%10 == 9 {
		typ, reason = corev1.EventTypeWarning, "HealthCheckFailed"
	}
	meta := map[string]string{"revision": fmt.Sprintf("main@sha1:%040d", i), createdKey: strconv.FormatInt(time.Now().UnixNano(), 10)}
	now := metav1.Now()
	return &corev1.Event{
		ObjectMeta: metav1.ObjectMeta{GenerateName: obj + ".", Namespace: ns, Annotations: events.Prefixed(kustomizev1.GroupVersion.Group, meta)},
		InvolvedObject: corev1.ObjectReference{Kind: kustomizev1.KustomizationKind, Name: obj, Namespace: ns,
			APIVersion: kustomizev1.GroupVersion.String()},
		Type: typ, Reason: reason, Message: fmt.Sprintf("event %d of %s", i, obj), Count: 1,
		Source: corev1.EventSource{Component: "kustomize-controller"}, FirstTimestamp: now, LastTimestamp: now,
	}
}

// delivered counts the notifications received.
func delivered(r *receipts) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.latencies)
}

// waitWatermarkB waits until the checkpoint in ns is past rv.
func waitWatermarkB(b *testing.B, ns, rv string) {
	want, _ := strconv.ParseUint(rv, 10, 64)
	deadline := time.Now().Add(2 * time.Minute)
	for time.Now().Before(deadline) {
		if got, err := watermark(ns); err == nil && got >= want {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	b.Fatalf("the checkpoint did not reach %s", rv)
}

// reportDelivery prints the table of the benchmark and reports its metrics.
func reportDelivery(b *testing.B, r *receipts, want int, created, total time.Duration, usage rss.Usage) {
	r.mu.Lock()
	defer r.mu.Unlock()
	lost, dup := 0, 0
	for i := range want {
		switch n := r.messages[fmt.Sprintf("event %d of app-%d", i, i%benchInt(b, "FERRY_BENCH_OBJECTS", 1_000))]; {
		case n == 0:
			lost++
		case n > 1:
			dup += n - 1
		}
	}
	lat := slices.Clone(r.latencies)
	slices.Sort(lat)
	p50, p99 := percentile(lat, 0.50), percentile(lat, 0.99)
	fmt.Printf("\n| events | expected | delivered | lost | duplicated | created in | all delivered in | p50 | p99 | peak RSS |\n")
	fmt.Printf("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |\n")
	fmt.Printf("| %d | %d | %d | %d | %d | %s | %s | %s | %s | %.1f MiB |\n\n", want, want, len(lat), lost, dup,
		created.Round(time.Millisecond), total.Round(time.Millisecond), p50.Round(time.Millisecond), p99.Round(time.Millisecond), rss.MiB(usage.Peak))
	b.ReportMetric(float64(len(lat)), "delivered")
	b.ReportMetric(float64(lost), "lost")
	b.ReportMetric(float64(dup), "duplicated")
	b.ReportMetric(float64(p50.Milliseconds()), "p50-ms")
	b.ReportMetric(float64(p99.Milliseconds()), "p99-ms")
	b.ReportMetric(rss.MiB(usage.Peak), "peak-rss-MiB")
	if lost > 0 || dup > 0 {
		b.Errorf("%d notifications lost, %d duplicated", lost, dup)
	}
}

// percentile returns the q-quantile of sorted ds.
func percentile(ds []time.Duration, q float64) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	return ds[min(len(ds)-1, int(q*float64(len(ds))))]
}
