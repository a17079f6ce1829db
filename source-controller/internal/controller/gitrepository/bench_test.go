package gitrepository

import (
	"context"
	"flag"
	"fmt"
	"os"
	"strconv"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	fluxmeta "github.com/ferry-gitops/ferry/shared/api/meta"
	sourcev1 "github.com/ferry-gitops/ferry/shared/api/source/v1"
	"github.com/ferry-gitops/ferry/shared/runtime/conditions"
	"github.com/ferry-gitops/ferry/shared/testing/gitserver"
	"github.com/ferry-gitops/ferry/shared/testing/rss"
	"github.com/ferry-gitops/ferry/shared/testing/testenv"
)

// benchRepos is how many GitRepositories BenchmarkAllReady creates: -gitrepositories, or the
// FERRY_BENCH_N environment variable, or 100.
var benchRepos = flag.Int("gitrepositories", envInt("FERRY_BENCH_N", 100),
	"number of GitRepositories created by BenchmarkAllReady")

func envInt(name string, def int) int {
	if n, err := strconv.Atoi(os.Getenv(name)); err == nil && n > 0 {
		return n
	}
	return def
}

// BenchmarkAllReady creates N GitRepositories of a repository served over HTTPS with basic
// auth and reports the seconds until all are Ready and the peak resident memory of the test
// process (which runs the controller).
func BenchmarkAllReady(b *testing.B) {
	n := *benchRepos
	repos := gitserver.NewRepos(b)
	tree := map[string]string{}
	for i := 0; i < 50; i++ {
		tree[fmt.Sprintf("apps/app-%02d/deploy.yaml", i)] = fmt.Sprintf("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: app-%d\n", i)
	}
	repos.Create(b, "fleet", tree)
	srv := repos.ServeHTTP(b, gitserver.HTTPOptions{Username: testUser, Password: testPassword})
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		ns := testenv.NewNamespace(b, k8s)
		newSecret(b, ns, "creds", map[string][]byte{"username": []byte(testUser), "password": []byte(testPassword), "ca.crt": srv.CA})
		if err := rss.Reset(0); err != nil {
			b.Fatal(err)
		}
		base, err := rss.Of(0)
		if err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		start := time.Now()
		for j := 0; j < n; j++ {
			newRepo(b, ns, fmt.Sprintf("repo-%04d", j), srv.RepoURL("fleet"), func(o *sourcev1.GitRepository) {
				o.Spec.SecretRef = &fluxmeta.LocalObjectReference{Name: "creds"}
			})
		}
		waitAllReady(b, ns, n)
		elapsed := time.Since(start)
		b.StopTimer()
		usage, err := rss.Of(0)
		if err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(elapsed.Seconds(), "s-to-all-ready")
		b.ReportMetric(rss.MiB(usage.Peak), "peak-rss-MiB")
		b.ReportMetric(rss.MiB(base.Current), "start-rss-MiB")
		b.ReportMetric(float64(n), "gitrepositories")
		deleteAll(b, ns)
	}
}

// waitAllReady polls until n GitRepositories of ns are Ready.
func waitAllReady(b *testing.B, ns string, n int) {
	deadline := time.Now().Add(time.Duration(n) * time.Second)
	for {
		var list sourcev1.GitRepositoryList
		if err := k8s.List(context.Background(), &list, client.InNamespace(ns)); err != nil {
			b.Fatal(err)
		}
		ready := 0
		for i := range list.Items {
			if conditions.IsReady(&list.Items[i]) {
				ready++
			}
		}
		if ready == n {
			return
		}
		if time.Now().After(deadline) {
			b.Fatalf("%d of %d GitRepositories Ready after %s", ready, n, time.Duration(n)*time.Second)
		}
		time.Sleep(testenv.Interval)
	}
}

// deleteAll deletes the GitRepositories of ns and waits until their finalizers ran.
func deleteAll(b *testing.B, ns string) {
	ctx := context.Background()
	if err := k8s.DeleteAllOf(ctx, &sourcev1.GitRepository{}, client.InNamespace(ns)); err != nil {
		b.Fatal(err)
	}
	deadline := time.Now().Add(time.Minute)
	for {
		var list metav1.PartialObjectMetadataList
		list.SetGroupVersionKind(sourcev1.GroupVersion.WithKind("GitRepositoryList"))
		if err := k8s.List(ctx, &list, client.InNamespace(ns)); err != nil {
			b.Fatal(err)
		}
		if len(list.Items) == 0 || time.Now().After(deadline) {
			return
		}
		time.Sleep(testenv.Interval)
	}
}
