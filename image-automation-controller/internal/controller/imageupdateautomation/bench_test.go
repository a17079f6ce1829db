package imageupdateautomation

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
	ctrlmetrics "sigs.k8s.io/controller-runtime/pkg/metrics"

	imagev1 "github.com/ferry-gitops/ferry/shared/api/image/v1"
	fluxmeta "github.com/ferry-gitops/ferry/shared/api/meta"
	sourcev1 "github.com/ferry-gitops/ferry/shared/api/source/v1"
	"github.com/ferry-gitops/ferry/shared/git"
	"github.com/ferry-gitops/ferry/shared/runtime/conditions"
	"github.com/ferry-gitops/ferry/shared/testing/gitserver"
	"github.com/ferry-gitops/ferry/shared/testing/rss"
)

// Scale of the no-change benchmark: automations on one repository of files.
const (
	benchAutomations = 100
	benchFiles       = 1000
)

// counts are the requests a Git server answered, by kind.
type counts struct {
	listings, fetches, pushes atomic.Int64
}

// countingBackend serves the repositories of repos (anonymously, pushes allowed) and counts
// reference listings (GET info/refs), fetches (POST git-upload-pack) and pushes.
func countingBackend(b *testing.B, repos *gitserver.Repos, c *counts) string {
	backend, err := gitserver.Backend(repos.Dir)
	if err != nil {
		b.Fatal(err)
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case strings.HasSuffix(r.URL.Path, "/info/refs") && r.URL.Query().Get("service") == "git-upload-pack":
			c.listings.Add(1)
		case strings.HasSuffix(r.URL.Path, "/git-upload-pack"):
			c.fetches.Add(1)
		case strings.HasSuffix(r.URL.Path, "/git-receive-pack"):
			c.pushes.Add(1)
		}
		backend.ServeHTTP(w, r)
	}))
	b.Cleanup(srv.Close)
	return srv.URL + "/repo.git"
}

// BenchmarkNoChangeRuns: 100 ImageUpdateAutomations on one repository of 1,000 files, each
// with its own ImagePolicy (selected by label) whose marked file already holds its image.
// After the first runs (one clone each), every iteration asks all of them to reconcile and
// measures a run with nothing to do: its mean duration (gotk_reconcile_duration_seconds),
// the Git requests it makes (one listing, no fetch, no push) and the process's peak RSS.
func BenchmarkNoChangeRuns(b *testing.B) {
	ns := newNamespace(b)
	repos := gitserver.NewRepos(b)
	files := map[string]string{}
	for i := range benchFiles {
		path := fmt.Sprintf("apps/dir-%02d/app-%03d.yaml", i/100, i)
		if i < benchAutomations {
			files[path] = marked(ns, fmt.Sprintf("app-%d", i), "ghcr.io/org/app:1.0.0")
		} else {
			files[path] = fmt.Sprintf("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c-%d\ndata:\n  n: \"%d\"\n", i, i)
		}
	}
	repos.Create(b, "repo", files)
	repos.Branch(b, "repo", "main", "master")
	var c counts
	url := countingBackend(b, repos, &c)
	ctx := context.Background()
	must(b, k8s.Create(ctx, &sourcev1.GitRepository{ObjectMeta: metav1.ObjectMeta{Name: "apps", Namespace: ns},
		Spec: sourcev1.GitRepositorySpec{URL: url, Interval: metav1.Duration{Duration: time.Hour}, Reference: &sourcev1.GitRepositoryRef{Branch: "main"}}}))
	f := &fixture{ns: ns, repos: repos}
	start := time.Now()
	for i := range benchAutomations {
		name := fmt.Sprintf("app-%d", i)
		f.policy(b, name, "ghcr.io/org/app", "1.0.0", map[string]string{"app": name})
		obj := f.automation(name, "apps")
		obj.Spec.PolicySelector = &metav1.LabelSelector{MatchLabels: map[string]string{"app": name}}
		must(b, k8s.Create(ctx, obj))
	}
	waitRuns(b, ns, "")
	b.Logf("first runs (one clone each): %s for %d automations; Git: %d listings, %d fetches, %d pushes; peak RSS %.1f MiB; clones in %s",
		time.Since(start).Round(time.Millisecond), benchAutomations, c.listings.Load(), c.fetches.Load(), c.pushes.Load(), rss.MiB(peak(b)), storeDir)
	must(b, rss.Reset(0))
	c.listings.Store(0)
	c.fetches.Store(0)
	c.pushes.Store(0)
	sum, count := reconcileSeconds(b)
	rounds := 0
	for b.Loop() {
		token := time.Now().Format(time.RFC3339Nano)
		for i := range benchAutomations {
			obj := &imagev1.ImageUpdateAutomation{}
			must(b, k8s.Get(ctx, client.ObjectKey{Namespace: ns, Name: fmt.Sprintf("app-%d", i)}, obj))
			patch := client.MergeFrom(obj.DeepCopy())
			obj.Annotations = map[string]string{fluxmeta.ReconcileRequestAnnotation: token}
			must(b, k8s.Patch(ctx, obj, patch))
		}
		waitRuns(b, ns, token)
		rounds++
	}
	sum2, count2 := reconcileSeconds(b)
	b.StopTimer()
	runs := float64(rounds * benchAutomations)
	b.ReportMetric(listingMillis(b, url), "server-listing-ms")
	b.ReportMetric((sum2-sum)/(count2-count)*1000, "ms/run")
	b.ReportMetric(float64(c.listings.Load())/runs, "listings/run")
	b.ReportMetric(float64(c.fetches.Load())/runs, "fetches/run")
	b.ReportMetric(float64(c.pushes.Load())/runs, "pushes/run")
	b.ReportMetric(rss.MiB(peak(b)), "peak-RSS-MiB")
}

// listingMillis is the mean time the Git server takes to list the repository's references,
// the one request of a run with nothing to do (git http-backend runs git for each request).
func listingMillis(b *testing.B, url string) float64 {
	const rounds = 20
	start := time.Now()
	for range rounds {
		if _, err := git.ListRefs(context.Background(), url, nil); err != nil {
			b.Fatal(err)
		}
	}
	return float64(time.Since(start).Microseconds()) / rounds / 1000
}

// waitRuns waits until every automation of ns is Ready having run once (token "") or having
// handled the reconcile request token, and returns the status of the first.
func waitRuns(b *testing.B, ns, token string) imagev1.ImageUpdateAutomationStatus {
	deadline := time.Now().Add(10 * time.Minute)
	for {
		var list imagev1.ImageUpdateAutomationList
		must(b, k8s.List(context.Background(), &list, client.InNamespace(ns)))
		done := 0
		for i := range list.Items {
			o := &list.Items[i]
			if conditions.IsReady(o) && o.Status.ObservedSourceRevision != "" && o.Status.LastHandledReconcileAt == token {
				done++
			}
		}
		if done == benchAutomations {
			return list.Items[0].Status
		}
		if time.Now().After(deadline) {
			b.Fatalf("%d of %d automations done after 10m", done, benchAutomations)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// reconcileSeconds sums gotk_reconcile_duration_seconds of the ImageUpdateAutomations: the
// total seconds and the number of runs.
func reconcileSeconds(b *testing.B) (float64, float64) {
	families, err := ctrlmetrics.Registry.Gather()
	must(b, err)
	var sum float64
	var count uint64
	for _, f := range families {
		if f.GetName() != "gotk_reconcile_duration_seconds" {
			continue
		}
		for _, m := range f.GetMetric() {
			if label(m, "kind") == imagev1.ImageUpdateAutomationKind {
				sum += m.GetHistogram().GetSampleSum()
				count += m.GetHistogram().GetSampleCount()
			}
		}
	}
	return sum, float64(count)
}

// label returns the value of label name of m.
func label(m *dto.Metric, name string) string {
	for _, l := range m.GetLabel() {
		if l.GetName() == name {
			return l.GetValue()
		}
	}
	return ""
}

// peak returns this process's peak RSS.
func peak(b *testing.B) int64 {
	u, err := rss.Of(0)
	must(b, err)
	return u.Peak
}

// must fails b on err.
func must(b *testing.B, err error) {
	b.Helper()
	if err != nil {
		b.Fatal(err)
	}
}
