package imagerepository

import (
	"net"
	"testing"

	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"

	imagev1 "github.com/ferry-gitops/ferry/shared/api/image/v1"
	fluxmeta "github.com/ferry-gitops/ferry/shared/api/meta"
	"github.com/ferry-gitops/ferry/shared/testing/registry"
	"github.com/ferry-gitops/ferry/shared/testing/statuscheck"
	"github.com/ferry-gitops/ferry/shared/testing/surface"
)

// TestBadInput: every way a spec or a registry can fail ends in a condition that says what
// is wrong, Stalled when only a new spec can help, never a crash, and no secret value shown.
func TestBadInput(t *testing.T) {
	r := registry.New(t, registry.Options{Username: "flux", Password: "s3cret", TLS: true})
	push(t, r, "app", "1.0.0")
	ns := namespace(t)
	good := r.DockerConfigJSON("flux", "s3cret")
	newSecret(t, ns, "good", corev1.SecretTypeDockerConfigJson, map[string][]byte{corev1.DockerConfigJsonKey: good})
	newSecret(t, ns, "wrong", corev1.SecretTypeDockerConfigJson, map[string][]byte{corev1.DockerConfigJsonKey: r.DockerConfigJSON("flux", "not-it")})
	newSecret(t, ns, "notjson", corev1.SecretTypeOpaque, map[string][]byte{corev1.DockerConfigJsonKey: []byte("{s3cret")})
	newSecret(t, ns, "opaque", corev1.SecretTypeOpaque, map[string][]byte{"password": []byte("s3cret")})
	newSecret(t, ns, "ca", corev1.SecretTypeOpaque, map[string][]byte{"ca.crt": r.CACert})
	newSecret(t, ns, "badca", corev1.SecretTypeOpaque, map[string][]byte{"ca.crt": []byte("not a certificate")})
	closed, err := net.Listen("tcp", "127.0.0.1:0")
	NewWithT(t).Expect(err).NotTo(HaveOccurred())
	closedAddr := closed.Addr().String()
	closed.Close()
	ref := func(name string) *fluxmeta.LocalObjectReference { return &fluxmeta.LocalObjectReference{Name: name} }

	for _, tc := range []struct {
		name    string
		spec    imagev1.ImageRepositorySpec
		stalled bool
		reason  string
		msg     string
	}{
		{"image with a tag", imagev1.ImageRepositorySpec{Image: r.Repo("app") + ":1.0.0"}, true, imagev1.ImageURLInvalidReason, "invalid spec.image"},
		{"image with capitals", imagev1.ImageRepositorySpec{Image: "Example.com/App"}, true, imagev1.ImageURLInvalidReason, "invalid spec.image 'Example.com/App'"},
		{"bad exclusion", imagev1.ImageRepositorySpec{Image: r.Repo("app"), ExclusionList: []string{"ok", "(bad"}}, true, fluxmeta.ReconciliationFailedReason, "invalid spec.exclusionList[1] '(bad'"},
		{"missing secret", imagev1.ImageRepositorySpec{Image: r.Repo("app"), SecretRef: ref("missing"), CertSecretRef: ref("ca")}, false, imagev1.AuthenticationFailedReason, "failed to get secret '" + ns + "/missing': not found"},
		{"secret without dockerconfigjson", imagev1.ImageRepositorySpec{Image: r.Repo("app"), SecretRef: ref("opaque"), CertSecretRef: ref("ca")}, false, imagev1.AuthenticationFailedReason, "it has no .dockerconfigjson key"},
		{"dockerconfigjson not JSON", imagev1.ImageRepositorySpec{Image: r.Repo("app"), SecretRef: ref("notjson"), CertSecretRef: ref("ca")}, false, imagev1.AuthenticationFailedReason, ".dockerconfigjson is not valid JSON"},
		{"no credentials", imagev1.ImageRepositorySpec{Image: r.Repo("app"), CertSecretRef: ref("ca")}, false, imagev1.AuthenticationFailedReason, "authentication failed (HTTP 401)"},
		{"wrong password", imagev1.ImageRepositorySpec{Image: r.Repo("app"), SecretRef: ref("wrong"), CertSecretRef: ref("ca")}, false, imagev1.AuthenticationFailedReason, "authentication failed (HTTP 401)"},
		{"unknown repository", imagev1.ImageRepositorySpec{Image: r.Repo("nope"), SecretRef: ref("good"), CertSecretRef: ref("ca")}, false, imagev1.ReadOperationFailedReason, "failed to list the tags of " + r.Repo("nope") + ": not found"},
		{"unknown CA", imagev1.ImageRepositorySpec{Image: r.Repo("app"), SecretRef: ref("good")}, false, imagev1.ReadOperationFailedReason, "TLS handshake failed"},
		{"bad CA", imagev1.ImageRepositorySpec{Image: r.Repo("app"), SecretRef: ref("good"), CertSecretRef: ref("badca")}, false, imagev1.AuthenticationFailedReason, "ca.crt holds no PEM certificate"},
		{"missing proxy secret", imagev1.ImageRepositorySpec{Image: r.Repo("app"), ProxySecretRef: ref("missing")}, false, imagev1.AuthenticationFailedReason, "failed to get secret '" + ns + "/missing'"},
		{"proxy secret without address", imagev1.ImageRepositorySpec{Image: r.Repo("app"), ProxySecretRef: ref("opaque")}, false, imagev1.AuthenticationFailedReason, "it has no address key"},
		{"unknown host", imagev1.ImageRepositorySpec{Image: "no-such-host.invalid/app"}, false, imagev1.ReadOperationFailedReason, "the registry host does not resolve: no-such-host.invalid"},
		{"nothing listens", imagev1.ImageRepositorySpec{Image: closedAddr + "/app", Insecure: true}, false, imagev1.ReadOperationFailedReason, "connection refused"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			obj := newRepo(t, ns, surfaceName(tc.name), tc.spec)
			var got *imagev1.ImageRepository
			if tc.stalled {
				got = statuscheck.Stalled(t, suite.Env.Client, obj, tc.reason, tc.msg)
			} else {
				got = statuscheck.NotReady(t, suite.Env.Client, obj, tc.reason, tc.msg)
			}
			g := NewWithT(t)
			g.Expect(got.Status.LastScanResult).To(BeNil())
			for _, c := range got.Status.Conditions {
				g.Expect(c.Message).NotTo(ContainSubstring("s3cret"))
			}
		})
	}
}

// TestDockerHubNames gives short Docker Hub names their canonical form.
func TestDockerHubNames(t *testing.T) {
	ns := namespace(t)
	for image, want := range map[string]string{"nginx": "index.docker.io/library/nginx", "fluxcd/flux": "index.docker.io/fluxcd/flux"} {
		obj := newRepo(t, ns, surfaceName(image), imagev1.ImageRepositorySpec{Image: image})
		statuscheck.Wait(t, suite.Env.Client, obj, func(g Gomega, cur *imagev1.ImageRepository) {
			g.Expect(cur.Status.CanonicalImageName).To(Equal(want))
		})
	}
}

// TestRefusedFields: every ImageRepository field docs/api-compatibility.md lists as refused
// (the cloud providers) stalls the object naming it, and nothing is scanned.
func TestRefusedFields(t *testing.T) {
	surface.CheckRefused(t, suite.Env.Client, namespace(t), "ImageRepository")
}

// surfaceName turns a test case's name into an object name.
func surfaceName(s string) string {
	out := []byte{}
	for _, c := range []byte(s) {
		switch {
		case c >= 'a' && c <= 'z', c >= '0' && c <= '9':
			out = append(out, c)
		case c >= 'A' && c <= 'Z':
			out = append(out, c+'a'-'A')
		case len(out) > 0 && out[len(out)-1] != '-':
			out = append(out, '-')
		}
	}
	return string(out)
}
