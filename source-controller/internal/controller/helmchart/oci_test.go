package helmchart_test

import (
	"strings"
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
	"github.com/ferry-gitops/ferry/source-controller/internal/helm/registry"
)

// pushChart pushes chart demo at version as Helm does ('+' written '_' in the tag).
func pushChart(g *WithT, reg *testregistry.Registry, version string) {
	data, err := helmrepo.PackageFiles(demo(version))
	g.Expect(err).NotTo(HaveOccurred())
	_, err = reg.Push("charts/demo", strings.ReplaceAll(version, "+", "_"), testregistry.Artifact{
		ConfigMediaType: registry.ConfigMediaType,
		Config:          []byte(`{"name":"demo","version":"` + version + `"}`),
		Layers:          []testregistry.Layer{{MediaType: registry.ChartLayerMediaType, Data: data}},
	})
	g.Expect(err).NotTo(HaveOccurred())
}

func TestPullFromOCIRepository(t *testing.T) {
	g := NewWithT(t)
	ns := testenv.NewNamespace(t, env.Client)
	reg := testregistry.New(t, testregistry.Options{Username: "u", Password: "p", TLS: true})
	for _, v := range []string{"1.0.0", "1.1.0+build.7", "2.0.0"} {
		pushChart(g, reg, v)
	}
	secret := func(name string, typ corev1.SecretType, data map[string][]byte) *corev1.Secret {
		return &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name}, Type: typ, Data: data}
	}
	create(g,
		secret("basic", corev1.SecretTypeOpaque, map[string][]byte{"username": []byte("u"), "password": []byte("p")}),
		secret("docker", corev1.SecretTypeDockerConfigJson, map[string][]byte{".dockerconfigjson": reg.DockerConfigJSON("u", "p")}),
		secret("wrong", corev1.SecretTypeOpaque, map[string][]byte{"username": []byte("u"), "password": []byte("nope")}),
		secret("ca", corev1.SecretTypeOpaque, map[string][]byte{"ca.crt": reg.CACert}))
	ociRepo := func(name, auth string) *sourcev1.HelmRepository {
		r := newRepository(ns, name, reg.OCIURL("charts"))
		r.Spec.Type, r.Spec.Provider = sourcev1.HelmRepositoryTypeOCI, sourcev1.GenericOCIProvider
		r.Spec.SecretRef = &fluxmeta.LocalObjectReference{Name: auth}
		r.Spec.CertSecretRef = &fluxmeta.LocalObjectReference{Name: "ca"}
		return r
	}
	version := func(v string) func(*sourcev1.HelmChart) { return func(o *sourcev1.HelmChart) { o.Spec.Version = v } }
	basic := newChart(ns, "basic", sourcev1.HelmRepositoryKind, "basic", "demo", version("1.x"))
	docker := newChart(ns, "docker", sourcev1.HelmRepositoryKind, "docker", "demo")
	wrong := newChart(ns, "wrong", sourcev1.HelmRepositoryKind, "wrong", "demo")
	missing := newChart(ns, "missing", sourcev1.HelmRepositoryKind, "basic", "demo", version("3.x"))
	verify := newChart(ns, "verify", sourcev1.HelmRepositoryKind, "basic", "demo", func(o *sourcev1.HelmChart) {
		o.Spec.Verify = &sourcev1.OCIRepositoryVerification{Provider: "cosign"}
	})
	create(g, ociRepo("basic", "basic"), ociRepo("docker", "docker"), ociRepo("wrong", "wrong"), basic, docker, wrong, missing, verify)

	got := sourcetest.ReadyWith(t, env.Client, basic, sourcev1.ChartPullSucceededReason)
	g.Expect(got.Status.Artifact.Revision).To(Equal("1.1.0+build.7"))
	g.Expect(loadArtifact(g, got.Status.Artifact).Metadata.Version).To(Equal("1.1.0+build.7"))
	got = sourcetest.ReadyWith(t, env.Client, docker, sourcev1.ChartPullSucceededReason)
	g.Expect(got.Status.Artifact.Revision).To(Equal("2.0.0"))

	// Unchanged tags: the chart is not pulled again. One reconcile first, so that a reconcile
	// the repository's own first status update may have queued is over before counting.
	got = statuscheck.RequestReconcile(t, env.Client, docker)
	blobs := reg.Counts().BlobGets
	first := got.Status.Artifact.DeepCopy()
	got = statuscheck.RequestReconcile(t, env.Client, docker)
	g.Expect(got.Status.Artifact).To(Equal(first))
	g.Expect(reg.Counts().BlobGets).To(Equal(blobs))

	got = statuscheck.NotReady(t, env.Client, wrong, sourcev1.AuthenticationFailedReason, "")
	g.Expect(conditions.IsTrue(got, sourcev1.FetchFailedCondition)).To(BeTrue())
	got = statuscheck.NotReady(t, env.Client, missing, helmchart.InvalidChartReferenceReason, "")
	g.Expect(conditions.Get(got, fluxmeta.ReadyCondition).Message).To(ContainSubstring(`no tag matches "3.x"`))
	got = statuscheck.NotReady(t, env.Client, verify, fluxmeta.UnsupportedSpecReason, "")
	g.Expect(conditions.IsTrue(got, fluxmeta.StalledCondition)).To(BeTrue())
	g.Expect(conditions.Get(got, fluxmeta.ReadyCondition).Message).To(HavePrefix(
		"keyless verification of HelmChart signatures against the public Sigstore instance is not supported by Ferry"))
	g.Expect(got.Status.Artifact).To(BeNil())
}
