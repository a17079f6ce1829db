package helmchart_test

import (
	"testing"

	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	fluxmeta "github.com/ferry-gitops/ferry/shared/api/meta"
	sourcev1 "github.com/ferry-gitops/ferry/shared/api/source/v1"
	"github.com/ferry-gitops/ferry/shared/runtime/conditions"
	"github.com/ferry-gitops/ferry/shared/testing/helmrepo"
	testregistry "github.com/ferry-gitops/ferry/shared/testing/registry"
	"github.com/ferry-gitops/ferry/shared/testing/statuscheck"
	"github.com/ferry-gitops/ferry/shared/testing/testenv"
	"github.com/ferry-gitops/ferry/source-controller/internal/controller/helmchart"
	"github.com/ferry-gitops/ferry/source-controller/internal/controller/sourcetest"
)

// TestPassCredentials serves the index from one host and the charts from another that wants
// the same credentials: a HelmRepository sends them there only with spec.passCredentials.
func TestPassCredentials(t *testing.T) {
	g := NewWithT(t)
	ns := testenv.NewNamespace(t, env.Client)
	auth := helmrepo.Options{Username: "u", Password: "p"}
	charts := newServer(t, auth, demo("1.0.0"))
	index := newServer(t, auth)
	_, err := index.AddChart(demo("1.0.0"))
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(index.WriteGeneratedIndex(charts.URL())).To(Succeed())
	withAuth := func(name string, pass bool) *sourcev1.HelmRepository {
		r := newRepository(ns, name, index.URL())
		r.Spec.SecretRef = &fluxmeta.LocalObjectReference{Name: "auth"}
		r.Spec.PassCredentials = pass
		return r
	}
	create(g, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "auth"},
		Data: map[string][]byte{"username": []byte("u"), "password": []byte("p")}},
		withAuth("pass", true), withAuth("keep", false),
		newChart(ns, "passed", sourcev1.HelmRepositoryKind, "pass", "demo"),
		newChart(ns, "kept", sourcev1.HelmRepositoryKind, "keep", "demo"))

	got := sourcetest.ReadyWith(t, env.Client, &sourcev1.HelmChart{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "passed"}}, sourcev1.ChartPullSucceededReason)
	g.Expect(got.Status.Artifact.Revision).To(Equal("1.0.0"))
	got = statuscheck.NotReady(t, env.Client, &sourcev1.HelmChart{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "kept"}}, sourcev1.AuthenticationFailedReason, "")
	g.Expect(conditions.Get(got, fluxmeta.ReadyCondition).Message).To(ContainSubstring("401"))
}

// TestInsecureOCIRepository pulls a chart from a plain-HTTP registry only when its OCI
// HelmRepository sets spec.insecure. The registry is reached as 127.0.0.2, which clients do
// not treat as plain HTTP on their own.
func TestInsecureOCIRepository(t *testing.T) {
	g := NewWithT(t)
	ns := testenv.NewNamespace(t, env.Client)
	reg := testregistry.New(t, testregistry.Options{})
	pushChart(g, reg, "1.0.0")
	url := "oci://" + sourcetest.LoopbackAlias(t, reg.Host) + "/charts"
	ociRepo := func(name string, insecure bool) *sourcev1.HelmRepository {
		r := newRepository(ns, name, url)
		r.Spec.Type, r.Spec.Insecure = sourcev1.HelmRepositoryTypeOCI, insecure
		return r
	}
	insecure := newChart(ns, "insecure", sourcev1.HelmRepositoryKind, "insecure", "demo")
	secure := newChart(ns, "secure", sourcev1.HelmRepositoryKind, "secure", "demo")
	create(g, ociRepo("insecure", true), ociRepo("secure", false), insecure, secure)

	got := sourcetest.ReadyWith(t, env.Client, insecure, sourcev1.ChartPullSucceededReason)
	g.Expect(got.Status.Artifact.Revision).To(Equal("1.0.0"))
	got = statuscheck.NotReady(t, env.Client, secure, helmchart.ChartPullErrorReason, "")
	g.Expect(conditions.Get(got, fluxmeta.ReadyCondition).Message).To(ContainSubstring("HTTP response to HTTPS client"))
}

// TestRefusedRepositoryIsNotUsed keeps a chart from pulling through an OCI HelmRepository that
// cannot be used (provider aws for a registry that is not Amazon ECR): the chart waits,
// asking nothing of the registry, until the repository is mended.
func TestRefusedRepositoryIsNotUsed(t *testing.T) {
	g := NewWithT(t)
	ns := testenv.NewNamespace(t, env.Client)
	reg := testregistry.New(t, testregistry.Options{})
	pushChart(g, reg, "1.0.0")
	repo := newRepository(ns, "ecr", reg.OCIURL("charts"))
	repo.Spec.Type, repo.Spec.Provider = sourcev1.HelmRepositoryTypeOCI, "aws"
	chart := newChart(ns, "demo", sourcev1.HelmRepositoryKind, "ecr", "demo")
	reg.ResetCounts()
	create(g, repo, chart)

	got := statuscheck.NotReady(t, env.Client, chart, helmchart.SourceUnavailableReason, "")
	g.Expect(conditions.Get(got, fluxmeta.ReadyCondition).Message).To(ContainSubstring("provider aws logs in to Amazon ECR registries"))
	g.Expect(got.Status.Artifact).To(BeNil())
	g.Expect(reg.Counts()).To(Equal(testregistry.Counts{}))

	g.Expect(env.Client.Get(t.Context(), clientKey(repo), repo)).To(Succeed())
	repo.Spec.Provider = sourcev1.GenericOCIProvider
	g.Expect(env.Client.Update(t.Context(), repo)).To(Succeed())
	got = sourcetest.ReadyWith(t, env.Client, chart, sourcev1.ChartPullSucceededReason)
	g.Expect(got.Status.Artifact.Revision).To(Equal("1.0.0"))
}
