package imagerepository

import (
	"testing"

	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"

	imagev1 "github.com/ferry-gitops/ferry/shared/api/image/v1"
	fluxmeta "github.com/ferry-gitops/ferry/shared/api/meta"
	"github.com/ferry-gitops/ferry/shared/cloud"
	"github.com/ferry-gitops/ferry/shared/runtime/conditions"
	"github.com/ferry-gitops/ferry/shared/testing/cloudtest"
	"github.com/ferry-gitops/ferry/shared/testing/statuscheck"
)

// TestCloudProviders scans Amazon ECR, Azure Container Registry and Google Artifact
// Registry with the controller's own identity of spec.provider, each reached by its real
// hostname through a proxy. Anonymous scans are refused by the same registries, except
// where the suite's --aws-autologin-for-ecr logs a generic ImageRepository in to ECR.
func TestCloudProviders(t *testing.T) {
	for _, setup := range cloudtest.All(cloud.TestCAFileEnv) {
		c := setup(t)
		t.Run(c.Provider, func(t *testing.T) {
			g := NewWithT(t)
			push(t, c.Registry, "app", "1.0.0", "1.1.0")
			ns := namespace(t)
			newSecret(t, ns, "ca", corev1.SecretTypeOpaque, map[string][]byte{"ca.crt": c.Registry.CACert})
			newSecret(t, ns, "proxy", corev1.SecretTypeOpaque, map[string][]byte{"address": []byte(c.Proxy.URL())})
			spec := imagev1.ImageRepositorySpec{Image: c.Host + "/app",
				CertSecretRef: &fluxmeta.LocalObjectReference{Name: "ca"}, ProxySecretRef: &fluxmeta.LocalObjectReference{Name: "proxy"}}

			generic := newRepo(t, ns, "generic", spec)
			if c.Provider == cloud.AWS {
				got := statuscheck.Ready(t, suite.Env.Client, generic)
				g.Expect(got.Status.LastScanResult.TagCount).To(Equal(2), "--aws-autologin-for-ecr logs in")
			} else {
				got := statuscheck.NotReady(t, suite.Env.Client, generic, imagev1.AuthenticationFailedReason, "")
				g.Expect(conditions.Get(got, fluxmeta.ReadyCondition).Message).To(ContainSubstring("authentication failed"))
			}

			spec.Provider = c.Provider
			got := statuscheck.Ready(t, suite.Env.Client, newRepo(t, ns, "identity", spec))
			g.Expect(got.Status.LastScanResult.TagCount).To(Equal(2))
			g.Expect(c.Logins()).To(BeNumerically(">=", 1))
			g.Expect(c.Proxy.Tunnelled()).To(Equal([]string{c.Host}))
		})
	}
}

// TestProviderSpecErrors stalls an ImageRepository whose provider cannot work with the rest
// of its spec, naming what to change, before anything is asked of a registry or a cloud.
func TestProviderSpecErrors(t *testing.T) {
	ns := namespace(t)
	for _, tt := range []struct {
		name string
		spec imagev1.ImageRepositorySpec
		want string
	}{
		{name: "not-google", spec: imagev1.ImageRepositorySpec{Image: "ghcr.io/org/app", Provider: "gcp"},
			want: "provider gcp logs in to Artifact Registry (<location>-docker.pkg.dev) and Container Registry (gcr.io), not 'ghcr.io'"},
		{name: "workload-identity-not-google", spec: imagev1.ImageRepositorySpec{Image: "ghcr.io/org/app", Provider: "gcp", ServiceAccountName: "scanner"},
			want: "provider gcp logs in to Artifact Registry (<location>-docker.pkg.dev) and Container Registry (gcr.io), not 'ghcr.io'"},
		{name: "secret", spec: imagev1.ImageRepositorySpec{Image: cloudtest.ACRHost + "/app", Provider: "azure",
			SecretRef: &fluxmeta.LocalObjectReference{Name: "creds"}}, want: "spec.secretRef cannot be used with spec.provider azure"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			statuscheck.Stalled(t, suite.Env.Client, newRepo(t, ns, tt.name, tt.spec), imagev1.InvalidProviderConfigurationReason, tt.want)
		})
	}
}
