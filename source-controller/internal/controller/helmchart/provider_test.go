package helmchart_test

import (
	"testing"

	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	fluxmeta "github.com/ferry-gitops/ferry/shared/api/meta"
	sourcev1 "github.com/ferry-gitops/ferry/shared/api/source/v1"
	"github.com/ferry-gitops/ferry/shared/cloud"
	"github.com/ferry-gitops/ferry/shared/testing/cloudtest"
	"github.com/ferry-gitops/ferry/shared/testing/statuscheck"
	"github.com/ferry-gitops/ferry/shared/testing/testenv"
	"github.com/ferry-gitops/ferry/source-controller/internal/controller/sourcetest"
)

// TestCloudProviders pulls charts from OCI HelmRepositories on Amazon ECR, Azure Container
// Registry and Google Artifact Registry with the controller's own identity of spec.provider,
// each registry reached by its real hostname through the proxy of the environment.
// Anonymous, the same registry refuses the pull.
func TestCloudProviders(t *testing.T) {
	for _, setup := range cloudtest.All(cloud.TestCAFileEnv) {
		c := setup(t)
		t.Run(c.Provider, func(t *testing.T) {
			g := NewWithT(t)
			tunnel.Route(c.Host, c.Registry.Host)
			pushChart(g, c.Registry, "1.0.0")
			ns := testenv.NewNamespace(t, env.Client)
			ca := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "ca"}, Data: map[string][]byte{"ca.crt": c.Registry.CACert}}
			create(g, ca)
			for _, provider := range []string{sourcev1.GenericOCIProvider, c.Provider} {
				repo := newRepository(ns, provider, "oci://"+c.Host+"/charts")
				repo.Spec.Type, repo.Spec.Provider = sourcev1.HelmRepositoryTypeOCI, provider
				repo.Spec.CertSecretRef = &fluxmeta.LocalObjectReference{Name: "ca"}
				create(g, repo, newChart(ns, provider, sourcev1.HelmRepositoryKind, provider, "demo"))
			}
			statuscheck.NotReady(t, env.Client, newChart(ns, sourcev1.GenericOCIProvider, sourcev1.HelmRepositoryKind, "", ""),
				sourcev1.AuthenticationFailedReason, "")
			got := sourcetest.ReadyWith(t, env.Client, newChart(ns, c.Provider, sourcev1.HelmRepositoryKind, "", ""), sourcev1.ChartPullSucceededReason)
			g.Expect(got.Status.Artifact.Revision).To(Equal("1.0.0"))
			g.Expect(c.Logins()).To(BeNumerically(">=", 1))
			g.Expect(tunnel.Tunnelled()).To(ContainElement(c.Host))
		})
	}
}
