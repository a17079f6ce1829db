package ocirepository

import (
	"testing"

	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"

	fluxmeta "github.com/ferry-gitops/ferry/shared/api/meta"
	sourcev1 "github.com/ferry-gitops/ferry/shared/api/source/v1"
	"github.com/ferry-gitops/ferry/shared/cloud"
	"github.com/ferry-gitops/ferry/shared/runtime/conditions"
	"github.com/ferry-gitops/ferry/shared/testing/cloudtest"
	"github.com/ferry-gitops/ferry/shared/testing/statuscheck"
	"github.com/ferry-gitops/ferry/shared/testing/testenv"
)

// TestCloudProviders pulls from Amazon ECR, Azure Container Registry and Google Artifact
// Registry with the controller's own identity of spec.provider (IRSA, workload identity,
// the metadata server), each reached by its real hostname through a proxy; anonymous, the
// same registry refuses the pull.
func TestCloudProviders(t *testing.T) {
	for _, setup := range cloudtest.All(cloud.TestCAFileEnv) {
		c := setup(t)
		t.Run(c.Provider, func(t *testing.T) {
			g := NewWithT(t)
			d := pushFiles(t, c.Registry, "app", "v1", manifests)
			ns := testenv.NewNamespace(t, env.Client)
			secret(t, ns, "ca", corev1.SecretTypeOpaque, map[string][]byte{"ca.crt": c.Registry.CACert})
			secret(t, ns, "proxy", corev1.SecretTypeOpaque, map[string][]byte{"address": []byte(c.Proxy.URL())})
			spec := sourcev1.OCIRepositorySpec{URL: c.OCIURL("app"), Reference: &sourcev1.OCIRepositoryRef{Tag: "v1"},
				CertSecretRef: &fluxmeta.LocalObjectReference{Name: "ca"}, ProxySecretRef: &fluxmeta.LocalObjectReference{Name: "proxy"}}

			anonymous := waitFailed(t, newRepo(t, ns, "anonymous", spec), sourcev1.AuthenticationFailedReason)
			g.Expect(conditions.Get(anonymous, fluxmeta.ReadyCondition).Message).To(ContainSubstring("authentication failed"))

			spec.Provider = c.Provider
			got := statuscheck.Ready(t, env.Client, newRepo(t, ns, "identity", spec))
			g.Expect(got.Status.Artifact.Revision).To(Equal("v1@" + d))
			g.Expect(fetch(t, got.Status.Artifact)).To(BeADirectory())
			g.Expect(c.Logins()).To(BeNumerically(">=", 1))
			g.Expect(c.Proxy.Tunnelled()).To(Equal([]string{c.Host}))
		})
	}
}

// TestProviderSpecErrors stalls an OCIRepository whose provider cannot work with the rest
// of its spec, naming what to change, before anything is asked of a registry or a cloud.
func TestProviderSpecErrors(t *testing.T) {
	ns := testenv.NewNamespace(t, env.Client)
	secretRef := &fluxmeta.LocalObjectReference{Name: "creds"}
	for _, tt := range []struct {
		name string
		spec sourcev1.OCIRepositorySpec
		want string
	}{
		{name: "not-ecr", spec: sourcev1.OCIRepositorySpec{URL: "oci://ghcr.io/org/app", Provider: "aws"},
			want: "provider aws logs in to Amazon ECR registries (<account>.dkr.ecr.<region>.amazonaws.com), not 'ghcr.io'"},
		{name: "not-acr", spec: sourcev1.OCIRepositorySpec{URL: "oci://" + cloudtest.ECRHost + "/app", Provider: "azure"},
			want: "provider azure logs in to Azure Container Registry"},
		{name: "workload-identity-not-gar", spec: sourcev1.OCIRepositorySpec{URL: "oci://ghcr.io/org/app", Provider: "gcp", ServiceAccountName: "puller"},
			want: "provider gcp logs in to Artifact Registry (<location>-docker.pkg.dev) and Container Registry (gcr.io), not 'ghcr.io'"},
		{name: "secret", spec: sourcev1.OCIRepositorySpec{URL: "oci://" + cloudtest.ACRHost + "/app", Provider: "azure", SecretRef: secretRef},
			want: "spec.secretRef cannot be used with spec.provider azure"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got := statuscheck.Stalled(t, env.Client, newRepo(t, ns, tt.name, tt.spec), sourcev1.InvalidProviderConfigurationReason, "")
			NewWithT(t).Expect(conditions.Get(got, fluxmeta.ReadyCondition).Message).To(ContainSubstring(tt.want))
		})
	}
}
