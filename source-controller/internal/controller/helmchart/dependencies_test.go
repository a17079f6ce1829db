package helmchart_test

import (
	"testing"
	"time"

	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	fluxmeta "github.com/ferry-gitops/ferry/shared/api/meta"
	sourcev1 "github.com/ferry-gitops/ferry/shared/api/source/v1"
	"github.com/ferry-gitops/ferry/shared/runtime/conditions"
	"github.com/ferry-gitops/ferry/shared/testing/helmrepo"
	"github.com/ferry-gitops/ferry/shared/testing/statuscheck"
	"github.com/ferry-gitops/ferry/shared/testing/testenv"
	"github.com/ferry-gitops/ferry/source-controller/internal/controller/helmchart"
	"github.com/ferry-gitops/ferry/source-controller/internal/controller/sourcetest"
)

// TestRemoteDependencies packages charts from a GitRepository whose dependencies come from
// chart repositories: a public one read anonymously, and a private one through the
// HelmRepository of the namespace with the same URL (its stored index and credentials).
func TestRemoteDependencies(t *testing.T) {
	g := NewWithT(t)
	ns := testenv.NewNamespace(t, env.Client)
	public := newServer(t, helmrepo.Options{}, helmrepo.ChartFiles("common", "1.0.0"), helmrepo.ChartFiles("common", "1.1.0"))
	private := newServer(t, helmrepo.Options{Username: "u", Password: "p"}, helmrepo.ChartFiles("secret-lib", "2.0.0"))
	create(g, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "auth"},
		Data: map[string][]byte{"username": []byte("u"), "password": []byte("p")}})
	repo := newRepository(ns, "private", private.URL())
	repo.Spec.SecretRef = &fluxmeta.LocalObjectReference{Name: "auth"}
	create(g, repo)
	sourcetest.ReadyWith(t, env.Client, repo, fluxmeta.SucceededReason)

	srv := newArtifactServer(t)
	dep := func(name, version, url string) string {
		return "- name: " + name + "\n  version: \"" + version + "\"\n  repository: " + url + "\n"
	}
	a, err := srv.ArtifactFromFiles("git/deps", map[string]string{
		"app/Chart.yaml": "apiVersion: v2\nname: app\nversion: 1.0.0\ndependencies:\n" +
			dep("common", "1.x", public.URL()) + dep("secret-lib", "2.0.0", private.URL()+"/"),
		"missing/Chart.yaml": "apiVersion: v2\nname: missing\nversion: 1.0.0\ndependencies:\n" + dep("common", "9.x", public.URL()),
	}, "main@sha1:"+"0123456789abcdef0123456789abcdef01234567")
	g.Expect(err).NotTo(HaveOccurred())
	git := &sourcev1.GitRepository{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "git"},
		Spec: sourcev1.GitRepositorySpec{URL: "https://example.com/app.git", Interval: metav1.Duration{Duration: time.Hour}}}
	create(g, git)
	setArtifact(g, git, a)
	app := newChart(ns, "app", sourcev1.GitRepositoryKind, "git", "app")
	missing := newChart(ns, "missing", sourcev1.GitRepositoryKind, "git", "missing")
	create(g, app, missing)

	got := sourcetest.ReadyWith(t, env.Client, app, sourcev1.ChartPackageSucceededReason)
	var deps []string
	for _, d := range loadArtifact(g, got.Status.Artifact).Dependencies() {
		deps = append(deps, d.Name()+"@"+d.Metadata.Version)
	}
	g.Expect(deps).To(ConsistOf("common@1.1.0", "secret-lib@2.0.0"))
	g.Expect(private.Served("/index.yaml")).To(Equal(int64(1)), "the private index is read from the HelmRepository's artifact")

	got = statuscheck.NotReady(t, env.Client, missing, helmchart.DependencyBuildErrorReason, "")
	g.Expect(conditions.Get(got, fluxmeta.ReadyCondition).Message).To(ContainSubstring(`dependency "common": no version of chart "common" matches "9.x"`))
}
