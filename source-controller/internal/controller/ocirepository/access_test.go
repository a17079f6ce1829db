package ocirepository

import (
	"os"
	"path/filepath"
	"testing"

	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"

	fluxmeta "github.com/ferry-gitops/ferry/shared/api/meta"
	sourcev1 "github.com/ferry-gitops/ferry/shared/api/source/v1"
	"github.com/ferry-gitops/ferry/shared/runtime/conditions"
	"github.com/ferry-gitops/ferry/shared/testing/registry"
	"github.com/ferry-gitops/ferry/shared/testing/statuscheck"
	"github.com/ferry-gitops/ferry/shared/testing/testenv"
	"github.com/ferry-gitops/ferry/source-controller/internal/controller/sourcetest"
)

// TestBasicAuth pulls with a dockerconfigjson Secret, and reports wrong credentials.
func TestBasicAuth(t *testing.T) {
	g := NewWithT(t)
	r := registry.New(t, registry.Options{Username: "flux", Password: "s3cret-pass"})
	d := pushFiles(t, r, "private", "v1", manifests)
	ns := testenv.NewNamespace(t, env.Client)
	secret(t, ns, "creds", corev1.SecretTypeDockerConfigJson, map[string][]byte{corev1.DockerConfigJsonKey: r.DockerConfigJSON("flux", "s3cret-pass")})
	secret(t, ns, "wrong", corev1.SecretTypeDockerConfigJson, map[string][]byte{corev1.DockerConfigJsonKey: r.DockerConfigJSON("flux", "nope")})
	ref := &sourcev1.OCIRepositoryRef{Tag: "v1"}

	got := statuscheck.Ready(t, env.Client, newRepo(t, ns, "good", sourcev1.OCIRepositorySpec{URL: r.OCIURL("private"), Reference: ref,
		SecretRef: &fluxmeta.LocalObjectReference{Name: "creds"}}))
	g.Expect(got.Status.Artifact.Revision).To(Equal("v1@" + d))

	for _, name := range []string{"wrong", "anonymous"} {
		spec := sourcev1.OCIRepositorySpec{URL: r.OCIURL("private"), Reference: ref}
		if name == "wrong" {
			spec.SecretRef = &fluxmeta.LocalObjectReference{Name: "wrong"}
		}
		bad := waitFailed(t, newRepo(t, ns, name, spec), sourcev1.AuthenticationFailedReason)
		msg := conditions.Get(bad, fluxmeta.ReadyCondition).Message
		g.Expect(msg).To(ContainSubstring("failed to resolve tag 'v1' of " + r.Repo("private") + ": authentication failed"))
		g.Expect(msg).NotTo(ContainSubstring("nope"))
		g.Expect(conditions.Get(bad, sourcev1.FetchFailedCondition).Reason).To(Equal(sourcev1.AuthenticationFailedReason))
	}

	missing := waitFailed(t, newRepo(t, ns, "missing-secret", sourcev1.OCIRepositorySpec{URL: r.OCIURL("private"), Reference: ref,
		SecretRef: &fluxmeta.LocalObjectReference{Name: "absent"}}), sourcev1.AuthenticationFailedReason)
	g.Expect(conditions.Get(missing, fluxmeta.ReadyCondition).Message).To(Equal("failed to get secret '" + ns + "/absent': not found"))
}

// TestServiceAccountPullSecrets takes the credentials from a ServiceAccount's image pull
// secrets, with provider generic.
func TestServiceAccountPullSecrets(t *testing.T) {
	r := registry.New(t, registry.Options{Username: "flux", Password: "pw"})
	pushFiles(t, r, "private", "latest", manifests)
	ns := testenv.NewNamespace(t, env.Client)
	secret(t, ns, "pull", corev1.SecretTypeDockerConfigJson, map[string][]byte{corev1.DockerConfigJsonKey: r.DockerConfigJSON("flux", "pw")})
	sa := &corev1.ServiceAccount{}
	sa.Name, sa.Namespace = "puller", ns
	sa.ImagePullSecrets = []corev1.LocalObjectReference{{Name: "pull"}}
	NewWithT(t).Expect(env.Client.Create(t.Context(), sa)).To(Succeed())
	statuscheck.Ready(t, env.Client, newRepo(t, ns, "sa", sourcev1.OCIRepositorySpec{URL: r.OCIURL("private"), ServiceAccountName: "puller",
		Provider: sourcev1.GenericOCIProvider}))
}

// TestTLS pulls over mutual TLS with a custom CA from certSecretRef, and fails clearly
// without the CA.
func TestTLS(t *testing.T) {
	g := NewWithT(t)
	r := registry.New(t, registry.Options{MutualTLS: true, Username: "u", Password: "p"})
	pushFiles(t, r, "secure", "latest", manifests)
	ns := testenv.NewNamespace(t, env.Client)
	secret(t, ns, "tls", corev1.SecretTypeOpaque, map[string][]byte{"ca.crt": r.CACert, "tls.crt": r.ClientCert, "tls.key": r.ClientKey})
	secret(t, ns, "creds", corev1.SecretTypeDockerConfigJson, map[string][]byte{corev1.DockerConfigJsonKey: r.DockerConfigJSON("u", "p")})
	creds := &fluxmeta.LocalObjectReference{Name: "creds"}

	got := statuscheck.Ready(t, env.Client, newRepo(t, ns, "trusted", sourcev1.OCIRepositorySpec{URL: r.OCIURL("secure"), SecretRef: creds,
		CertSecretRef: &fluxmeta.LocalObjectReference{Name: "tls"}}))
	g.Expect(fetch(t, got.Status.Artifact)).To(BeADirectory())

	bad := waitFailed(t, newRepo(t, ns, "untrusted", sourcev1.OCIRepositorySpec{URL: r.OCIURL("secure"), SecretRef: creds}), sourcev1.OCIPullFailedReason)
	g.Expect(conditions.Get(bad, fluxmeta.ReadyCondition).Message).To(ContainSubstring("certificate"))
}

// TestInsecureHTTP pulls from a plain-HTTP registry only with spec.insecure. The registry is
// reached as 127.0.0.2, which clients do not treat as plain HTTP on their own.
func TestInsecureHTTP(t *testing.T) {
	g := NewWithT(t)
	r := registry.New(t, registry.Options{})
	pushFiles(t, r, "plain", "latest", manifests)
	url := "oci://" + sourcetest.LoopbackAlias(t, r.Host) + "/plain"
	ns := testenv.NewNamespace(t, env.Client)
	statuscheck.Ready(t, env.Client, newRepo(t, ns, "insecure", sourcev1.OCIRepositorySpec{URL: url, Insecure: true}))
	bad := waitFailed(t, newRepo(t, ns, "secure", sourcev1.OCIRepositorySpec{URL: url}), sourcev1.OCIPullFailedReason)
	g.Expect(conditions.Get(bad, fluxmeta.ReadyCondition).Message).To(ContainSubstring("HTTP response to HTTPS client"))
}

// TestLayerSelector extracts or copies the layer of a media type, and reports a media type
// the artifact does not have.
func TestLayerSelector(t *testing.T) {
	g := NewWithT(t)
	r := registry.New(t, registry.Options{})
	content, err := registry.TarGz(map[string]string{"chart/Chart.yaml": "name: demo\n"})
	g.Expect(err).NotTo(HaveOccurred())
	_, err = r.Push("multi", "v1", registry.Artifact{Layers: []registry.Layer{
		{MediaType: "application/vnd.example.readme", Data: []byte("readme")},
		{MediaType: "application/vnd.example.chart.tar+gzip", Data: content},
	}})
	g.Expect(err).NotTo(HaveOccurred())
	ns := testenv.NewNamespace(t, env.Client)
	spec := func(mediaType, op string) sourcev1.OCIRepositorySpec {
		return sourcev1.OCIRepositorySpec{URL: r.OCIURL("multi"), Reference: &sourcev1.OCIRepositoryRef{Tag: "v1"},
			LayerSelector: &sourcev1.OCILayerSelector{MediaType: mediaType, Operation: op}}
	}

	extracted := statuscheck.Ready(t, env.Client, newRepo(t, ns, "extract", spec("application/vnd.example.chart.tar+gzip", "")))
	g.Expect(os.ReadFile(filepath.Join(fetch(t, extracted.Status.Artifact), "chart", "Chart.yaml"))).To(BeEquivalentTo("name: demo\n"))
	g.Expect(extracted.Status.ObservedLayerSelector.MediaType).To(Equal("application/vnd.example.chart.tar+gzip"))

	copied := statuscheck.Ready(t, env.Client, newRepo(t, ns, "copy", spec("application/vnd.example.chart.tar+gzip", sourcev1.OCILayerCopy)))
	g.Expect(copied.Status.Artifact.Path).To(HaveSuffix(".tgz"))
	g.Expect(download(t, copied.Status.Artifact.URL)).To(Equal(content))
	g.Expect(copied.Status.ObservedLayerSelector.Operation).To(Equal(sourcev1.OCILayerCopy))

	bad := waitFailed(t, newRepo(t, ns, "missing", spec("application/x-none", "")), sourcev1.OCILayerOperationFailedReason)
	g.Expect(conditions.Get(bad, fluxmeta.ReadyCondition).Message).To(ContainSubstring("no layer has media type 'application/x-none'"))

	// Changing the selector of a Ready object re-pulls even though the revision is the same.
	changed := statuscheck.Update(t, env.Client, extracted, func(o *sourcev1.OCIRepository) {
		o.Spec.LayerSelector.Operation = sourcev1.OCILayerCopy
	})
	got := statuscheck.Wait(t, env.Client, changed, func(g Gomega, o *sourcev1.OCIRepository) {
		g.Expect(conditions.IsReady(o) && o.Status.Artifact.Path != extracted.Status.Artifact.Path).To(BeTrue())
	})
	g.Expect(got.Status.Artifact.Path).To(HaveSuffix(".tgz"))
}

// TestProxySecret routes registry requests through the proxy of proxySecretRef: a proxy that
// is down makes the pull fail with a proxy error, and a Secret without an address is refused.
func TestProxySecret(t *testing.T) {
	g := NewWithT(t)
	r := registry.New(t, registry.Options{})
	pushFiles(t, r, "app", "latest", manifests)
	down, err := registry.Start(registry.Options{})
	g.Expect(err).NotTo(HaveOccurred())
	down.Close()
	ns := testenv.NewNamespace(t, env.Client)
	secret(t, ns, "proxy", corev1.SecretTypeOpaque, map[string][]byte{"address": []byte(down.URL()), "username": []byte("u"), "password": []byte("p")})
	secret(t, ns, "no-address", corev1.SecretTypeOpaque, map[string][]byte{"username": []byte("u")})

	got := waitFailed(t, newRepo(t, ns, "via-proxy", sourcev1.OCIRepositorySpec{URL: r.OCIURL("app"),
		ProxySecretRef: &fluxmeta.LocalObjectReference{Name: "proxy"}}), sourcev1.OCIPullFailedReason)
	g.Expect(conditions.Get(got, fluxmeta.ReadyCondition).Message).To(ContainSubstring("proxyconnect"))

	got = waitFailed(t, newRepo(t, ns, "bad-proxy", sourcev1.OCIRepositorySpec{URL: r.OCIURL("app"),
		ProxySecretRef: &fluxmeta.LocalObjectReference{Name: "no-address"}}), sourcev1.AuthenticationFailedReason)
	g.Expect(conditions.Get(got, fluxmeta.ReadyCondition).Message).To(Equal("failed to read the proxy from secret '" + ns + "/no-address': it has no address key"))
}
