package main

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"slices"
	"sync"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	fluxmeta "github.com/ferry-gitops/ferry/shared/api/meta"
	notificationv1 "github.com/ferry-gitops/ferry/shared/api/notification/v1"
	sourcev1 "github.com/ferry-gitops/ferry/shared/api/source/v1"
	"github.com/ferry-gitops/ferry/shared/runtime/conditions"
	"github.com/ferry-gitops/ferry/shared/testing/rss"
	"github.com/ferry-gitops/ferry/shared/testing/testenv"
)

// benchReceivers is the number of GitHub Receivers (and GitRepositories) the load spreads over.
const benchReceivers = 10

// BenchmarkReceiver sends GitHub push webhooks at a steady 1,000 requests per second
// (FERRY_BENCH_RPS) for 30 seconds (FERRY_BENCH_SECONDS) to 10 Receivers, one request in five
// forged (signed with another secret), the controller running as its own process. Every
// genuine request must be acted on (200 once its GitRepository carries a requestedAt newer
// than the request) and every forged one refused (401). It reports the rate achieved, the
// latency of the answers (p50, p99) and the controller's peak resident memory.
func BenchmarkReceiver(b *testing.B) {
	rps, seconds := benchInt(b, "FERRY_BENCH_RPS", 1000), benchInt(b, "FERRY_BENCH_SECONDS", 30)
	for range b.N {
		ns := testenv.NewNamespace(b, env.Client)
		p := startProcess(b, ns, "--watch-all-namespaces=true", "--kube-api-qps=200", "--kube-api-burst=400")
		paths := setupBenchReceivers(b, ns)
		res := loadReceivers(b, "http://"+p.receiverAddr, paths, rps, time.Duration(seconds)*time.Second)
		usage, err := rss.Of(p.pid())
		if err != nil {
			b.Fatal(err)
		}
		annotated := 0
		for i := range benchReceivers {
			var g sourcev1.GitRepository
			if err := env.Client.Get(b.Context(), client.ObjectKey{Namespace: ns, Name: fmt.Sprintf("repo-%d", i)}, &g); err == nil &&
				g.Annotations[fluxmeta.ReconcileRequestAnnotation] != "" {
				annotated++
			}
		}
		res.report(b, rps, seconds, annotated, usage)
	}
}

// setupBenchReceivers creates the GitRepositories and Receivers and returns the webhook paths.
func setupBenchReceivers(b *testing.B, ns string) []string {
	create(b, &corev1.Secret{ObjectMeta: objectMeta(ns, "token"), StringData: map[string]string{"token": "bench-token"}})
	var paths []string
	for i := range benchReceivers {
		create(b, &sourcev1.GitRepository{ObjectMeta: objectMeta(ns, fmt.Sprintf("repo-%d", i)),
			Spec: sourcev1.GitRepositorySpec{URL: "https://127.0.0.1:1/repo.git", Interval: metav1.Duration{Duration: time.Hour}}})
		recv := &notificationv1.Receiver{ObjectMeta: objectMeta(ns, fmt.Sprintf("github-%d", i)), Spec: notificationv1.ReceiverSpec{
			Type: notificationv1.GitHubReceiver, Events: []string{"push"}, SecretRef: &fluxmeta.LocalObjectReference{Name: "token"},
			Resources: []notificationv1.ReceiverResource{{CrossNamespaceObjectReference: notificationv1.CrossNamespaceObjectReference{
				Kind: sourcev1.GitRepositoryKind, Name: fmt.Sprintf("repo-%d", i)}}}}}
		create(b, recv)
		deadline := time.Now().Add(time.Minute)
		for !conditions.IsReady(recv) || recv.Status.WebhookPath == "" {
			if time.Now().After(deadline) {
				b.Fatalf("Receiver %s not ready", recv.Name)
			}
			time.Sleep(50 * time.Millisecond)
			_ = env.Client.Get(b.Context(), client.ObjectKeyFromObject(recv), recv)
		}
		paths = append(paths, recv.Status.WebhookPath)
	}
	return paths
}

// loadResult is what the load generator saw.
type loadResult struct {
	mu                                sync.Mutex
	latencies                         []time.Duration
	genuine, genuineOK, forged, fobad int
	other                             []int
	elapsed                           time.Duration
}

// loadReceivers sends rps requests a second for d, open loop: each request leaves on its
// tick whether or not the earlier ones were answered.
func loadReceivers(b *testing.B, base string, paths []string, rps int, d time.Duration) *loadResult {
	body := []byte(`{"ref":"refs/heads/main","after":"0123456789abcdef0123456789abcdef01234567","repository":{"full_name":"org/app"}}`)
	sig := func(key string) string {
		m := hmac.New(sha256.New, []byte(key))
		m.Write(body)
		return "sha256=" + hex.EncodeToString(m.Sum(nil))
	}
	good, bad := sig("bench-token"), sig("forged")
	httpClient := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 256}, Timeout: 30 * time.Second}
	res := &loadResult{}
	var wg sync.WaitGroup
	interval := time.Second / time.Duration(rps)
	start := time.Now()
	total := int(d / interval)
	for i := range total {
		time.Sleep(time.Until(start.Add(time.Duration(i) * interval)))
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			forged := (i/len(paths))%5 == 4 // every Receiver gets both
			s := good
			if forged {
				s = bad
			}
			req, _ := http.NewRequest(http.MethodPost, base+paths[i%len(paths)], bytes.NewReader(body))
			req.Header.Set("X-GitHub-Event", "push")
			req.Header.Set("X-Hub-Signature-256", s)
			t0 := time.Now()
			resp, err := httpClient.Do(req)
			code := 0
			if err == nil {
				code = resp.StatusCode
				resp.Body.Close()
			}
			res.add(forged, code, time.Since(t0))
		}(i)
	}
	wg.Wait()
	res.elapsed = time.Since(start)
	return res
}

func (r *loadResult) add(forged bool, code int, lat time.Duration) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.latencies = append(r.latencies, lat)
	switch {
	case forged && code == http.StatusUnauthorized:
		r.forged++
	case !forged && code == http.StatusOK:
		r.genuine++
		r.genuineOK++
	default:
		r.other = append(r.other, code)
		if forged {
			r.fobad++
		} else {
			r.genuine++
		}
	}
}

// report prints the table of the benchmark and reports its metrics.
func (r *loadResult) report(b *testing.B, rps, seconds, annotated int, usage rss.Usage) {
	lat := slices.Clone(r.latencies)
	slices.Sort(lat)
	rate := float64(len(lat)) / r.elapsed.Seconds()
	p50, p99 := percentile(lat, 0.50), percentile(lat, 0.99)
	fmt.Printf("\n| target | sent | rate | genuine acted on (200) | forged refused (401) | other answers | objects annotated | p50 | p99 | peak RSS |\n")
	fmt.Printf("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |\n")
	fmt.Printf("| %d/s × %ds | %d | %.0f/s | %d of %d | %d of %d | %d | %d of %d | %s | %s | %.1f MiB |\n\n", rps, seconds, len(lat), rate,
		r.genuineOK, r.genuine, r.forged, r.forged+r.fobad, len(r.other), annotated, benchReceivers,
		p50.Round(100*time.Microsecond), p99.Round(100*time.Microsecond), rss.MiB(usage.Peak))
	b.ReportMetric(rate, "req/s")
	b.ReportMetric(float64(p50.Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(p99.Microseconds())/1000, "p99-ms")
	b.ReportMetric(rss.MiB(usage.Peak), "peak-rss-MiB")
	if len(r.other) > 0 || annotated != benchReceivers {
		b.Errorf("%d requests answered otherwise than expected (%v…); %d of %d objects annotated", len(r.other),
			r.other[:min(5, len(r.other))], annotated, benchReceivers)
	}
}
