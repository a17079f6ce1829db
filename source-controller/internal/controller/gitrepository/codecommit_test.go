package gitrepository

import (
	"testing"

	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	fluxmeta "github.com/ferry-gitops/ferry/shared/api/meta"
	sourcev1 "github.com/ferry-gitops/ferry/shared/api/source/v1"
	"github.com/ferry-gitops/ferry/shared/testing/awsapi"
	"github.com/ferry-gitops/ferry/shared/testing/cloudtest"
	"github.com/ferry-gitops/ferry/shared/testing/gitserver"
	"github.com/ferry-gitops/ferry/shared/testing/statuscheck"
	"github.com/ferry-gitops/ferry/shared/testing/testenv"
)

// The CodeCommit hosts of the tests: a region's, and another region's FIPS endpoint.
const (
	codeCommitHost = "git-codecommit.us-east-1.amazonaws.com"
	codeCommitFIPS = "git-codecommit-fips.us-west-2.amazonaws.com"
)

// codeCommit serves the repository "app" as AWS CodeCommit does, behind the CodeCommit
// front of the AWS set-up c (which checks the signed Git credentials against what its STS
// handed out), reached by the CodeCommit hostnames through its proxy. It creates in ns the
// Secrets "codecommit-ca" (ca.crt of the front) and "codecommit-proxy" (the proxy's
// address), and returns the front and the commit of master.
func codeCommit(t *testing.T, c *cloudtest.Cloud, ns string) (*awsapi.CodeCommit, string) {
	t.Helper()
	repos := gitserver.NewRepos(t)
	head := repos.Create(t, "app", map[string]string{"deploy/app.yaml": "kind: ConfigMap\n"})
	backend := repos.ServeHTTP(t, gitserver.HTTPOptions{Plain: true})
	cc := c.AWS.ServeCodeCommit(t, backend.URL, codeCommitHost, codeCommitFIPS)
	newSecret(t, ns, "codecommit-ca", map[string][]byte{"ca.crt": cc.CA})
	newSecret(t, ns, "codecommit-proxy", map[string][]byte{"address": []byte(cc.Proxy.URL())})
	return cc, head
}

// awsProvider sets spec.provider aws with the CodeCommit Secrets (or secret instead of
// codecommit-ca when set) and spec.serviceAccountName sa.
func awsProvider(secret, sa string) func(*sourcev1.GitRepository) {
	if secret == "" {
		secret = "codecommit-ca"
	}
	return func(o *sourcev1.GitRepository) {
		o.Spec.Provider = sourcev1.GitProviderAWS
		o.Spec.SecretRef = &fluxmeta.LocalObjectReference{Name: secret}
		o.Spec.ProxySecretRef = &fluxmeta.LocalObjectReference{Name: "codecommit-proxy"}
		o.Spec.ServiceAccountName = sa
	}
}

// TestAWSProvider: spec.provider aws clones from AWS CodeCommit (a region's endpoint and
// another region's FIPS endpoint) with Git credentials signed by the controller's IRSA role,
// which the CodeCommit front checks against the credentials its STS handed out. Credentials
// the front refuses leave the object not Ready, naming the failed authentication; credentials
// in the Secret are refused rather than ignored; an SSH URL or another host stalls it.
func TestAWSProvider(t *testing.T) {
	g := NewWithT(t)
	ns := testenv.NewNamespace(t, k8s)
	c := cloudtest.AWS(t)
	cc, head := codeCommit(t, c, ns)
	cc.RequireRole(cloudtest.RoleARN)
	newSecret(t, ns, "basic", map[string][]byte{"ca.crt": cc.CA, "username": []byte("git"), "password": []byte("pw")})

	for name, host := range map[string]string{"regional": codeCommitHost, "fips": codeCommitFIPS} {
		obj := statuscheck.Ready(t, k8s, newRepo(t, ns, name, "https://"+host+"/v1/repos/app", awsProvider("", "")))
		g.Expect(obj.Status.Artifact.Revision).To(Equal(revision("master", head)), name)
	}
	g.Expect(cc.Accepted(cloudtest.RoleARN)).To(BeNumerically(">=", 2))
	g.Expect(cc.Proxy.Tunnelled()).To(Equal([]string{codeCommitFIPS, codeCommitHost}))

	cc.RequireRole(cloudtest.TenantRoleARN) // the controller's role is no longer let in
	statuscheck.NotReady(t, k8s, newRepo(t, ns, "refused", "https://"+codeCommitHost+"/v1/repos/app", awsProvider("", "")),
		sourcev1.AuthenticationFailedReason, "https://"+codeCommitHost+"/v1/repos/app: authentication failed")
	statuscheck.NotReady(t, k8s, newRepo(t, ns, "with-password", "https://"+codeCommitHost+"/v1/repos/app", awsProvider("basic", "")),
		sourcev1.AuthenticationFailedReason, "spec.provider aws takes the credentials from the controller's AWS identity")
	statuscheck.Stalled(t, k8s, newRepo(t, ns, "ssh", "ssh://"+codeCommitHost+"/v1/repos/app", awsProvider("", "")),
		sourcev1.InvalidProviderConfigurationReason, "spec.provider aws authenticates to AWS CodeCommit over HTTPS only")
	statuscheck.Stalled(t, k8s, newRepo(t, ns, "other-host", "https://github.com/org/app", awsProvider("", "")),
		sourcev1.InvalidProviderConfigurationReason, "spec.provider aws logs in to AWS CodeCommit repositories (https://git-codecommit.<region>.amazonaws.com/v1/repos/<name>), not 'https://github.com/org/app'")
}

// TestAWSObjectLevelIdentity: spec.provider aws with spec.serviceAccountName (feature gate
// ObjectLevelWorkloadIdentity, on in the suite) clones from AWS CodeCommit with credentials
// of the role the ServiceAccount's annotation names, which STS gives only for the
// ServiceAccount's genuine tokens (the API server's TokenReview); the front lets in only that
// role, so the controller's own is refused. A ServiceAccount without the annotation fails
// naming it.
func TestAWSObjectLevelIdentity(t *testing.T) {
	g := NewWithT(t)
	ns := testenv.NewNamespace(t, k8s)
	c := cloudtest.AWS(t)
	c.ServiceAccountIdentity(t, k8s, ns, "reader")
	cc, head := codeCommit(t, c, ns)
	cc.RequireRole(cloudtest.TenantRoleARN)
	g.Expect(k8s.Create(t.Context(), &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "plain"}})).To(Succeed())
	url := "https://" + codeCommitHost + "/v1/repos/app"

	tenant := statuscheck.Ready(t, k8s, newRepo(t, ns, "tenant", url, awsProvider("", "reader")))
	g.Expect(tenant.Status.Artifact.Revision).To(Equal(revision("master", head)))
	g.Expect(cc.Accepted(cloudtest.TenantRoleARN)).To(BeNumerically(">=", 1))
	statuscheck.NotReady(t, k8s, newRepo(t, ns, "controller", url, awsProvider("", "")),
		sourcev1.AuthenticationFailedReason, "authentication failed")
	statuscheck.NotReady(t, k8s, newRepo(t, ns, "plain", url, awsProvider("", "plain")), sourcev1.AuthenticationFailedReason,
		"ServiceAccount '"+ns+"/plain' has no annotation eks.amazonaws.com/role-arn")
	g.Expect(cc.Accepted(cloudtest.RoleARN)).To(BeZero())
}
