package gitrepository

import (
	"testing"

	. "github.com/onsi/gomega"

	fluxmeta "github.com/ferry-gitops/ferry/shared/api/meta"
	sourcev1 "github.com/ferry-gitops/ferry/shared/api/source/v1"
	"github.com/ferry-gitops/ferry/shared/cloud"
	"github.com/ferry-gitops/ferry/shared/testing/cloudtest"
	"github.com/ferry-gitops/ferry/shared/testing/gitserver"
	"github.com/ferry-gitops/ferry/shared/testing/statuscheck"
	"github.com/ferry-gitops/ferry/shared/testing/testenv"
)

// TestAzureProvider: spec.provider azure clones from Azure DevOps with an Entra ID token of
// the controller's workload identity (from the local authority), sent as a bearer token and
// reused while valid; the Secret of spec.secretRef gives the CA only. Credentials in that
// Secret are refused rather than ignored, and without the provider the clone is refused.
func TestAzureProvider(t *testing.T) {
	g := NewWithT(t)
	ns := testenv.NewNamespace(t, k8s)
	authority := cloudtest.AzureIdentity(t, cloud.TestCAFileEnv)
	repos := gitserver.NewRepos(t)
	head := repos.Create(t, "app", map[string]string{"deploy/app.yaml": "kind: ConfigMap\n"})
	srv := repos.ServeHTTP(t, gitserver.HTTPOptions{CheckBearer: func(token string) bool {
		scope, ok := authority.TokenScope(token)
		return ok && scope == cloud.AzureDevOpsScope
	}})
	newSecret(t, ns, "ca", map[string][]byte{"ca.crt": srv.CA})
	newSecret(t, ns, "basic", map[string][]byte{"ca.crt": srv.CA, "username": []byte("git"), "password": []byte("pw")})
	azure := func(secret string) func(*sourcev1.GitRepository) {
		return func(o *sourcev1.GitRepository) {
			o.Spec.Provider = sourcev1.GitProviderAzure
			o.Spec.SecretRef = &fluxmeta.LocalObjectReference{Name: secret}
		}
	}

	repo := newRepo(t, ns, "app", srv.RepoURL("app"), azure("ca"))
	obj := statuscheck.Ready(t, k8s, repo)
	g.Expect(obj.Status.Artifact.Revision).To(Equal(revision("master", head)))
	statuscheck.RequestReconcile(t, k8s, repo)
	g.Expect(repos.Fetches("app")).To(BeNumerically(">=", 1))

	statuscheck.NotReady(t, k8s, newRepo(t, ns, "with-password", srv.RepoURL("app"), azure("basic")),
		sourcev1.AuthenticationFailedReason, "spec.provider azure takes the credentials from the controller's Azure identity")
	statuscheck.NotReady(t, k8s, newRepo(t, ns, "generic", srv.RepoURL("app"), func(o *sourcev1.GitRepository) {
		o.Spec.SecretRef = &fluxmeta.LocalObjectReference{Name: "ca"}
	}), sourcev1.AuthenticationFailedReason, "")
}
