package imageupdateautomation

import (
	"testing"
	"time"

	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	imagev1 "github.com/ferry-gitops/ferry/shared/api/image/v1"
	fluxmeta "github.com/ferry-gitops/ferry/shared/api/meta"
	sourcev1 "github.com/ferry-gitops/ferry/shared/api/source/v1"
	"github.com/ferry-gitops/ferry/shared/testing/cloudtest"
	"github.com/ferry-gitops/ferry/shared/testing/gitserver"
	"github.com/ferry-gitops/ferry/shared/testing/statuscheck"
)

// TestAWSProvider: a GitRepository of spec.provider aws is cloned from and pushed to AWS
// CodeCommit with Git credentials signed by the controller's IRSA role, which the
// CodeCommit front checks against the credentials its STS handed out before the real Git
// server takes the push; when the front lets in another role only, the automation fails
// naming the refused authentication, and a URL that is not CodeCommit's stalls it.
func TestAWSProvider(t *testing.T) {
	g := NewWithT(t)
	f := newFixture(t, nil)
	f.withApp(t, true)
	c := cloudtest.AWS(t)
	backend := f.repos.ServeHTTP(t, gitserver.HTTPOptions{Plain: true})
	const host = "git-codecommit.eu-west-1.amazonaws.com"
	cc := c.AWS.ServeCodeCommit(t, backend.URL, host)
	cc.RequireRole(cloudtest.RoleARN)
	create(t, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "codecommit-ca", Namespace: f.ns}, Data: map[string][]byte{"ca.crt": cc.CA}})
	create(t, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "codecommit-proxy", Namespace: f.ns},
		Data: map[string][]byte{"address": []byte(cc.Proxy.URL())}})
	source := func(name, url string) {
		create(t, &sourcev1.GitRepository{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: f.ns},
			Spec: sourcev1.GitRepositorySpec{URL: url, Interval: metav1.Duration{Duration: time.Hour}, Provider: sourcev1.GitProviderAWS,
				Reference:      &sourcev1.GitRepositoryRef{Branch: "main"},
				SecretRef:      &fluxmeta.LocalObjectReference{Name: "codecommit-ca"},
				ProxySecretRef: &fluxmeta.LocalObjectReference{Name: "codecommit-proxy"}}})
	}
	automation := func(name, source string) *imagev1.ImageUpdateAutomation {
		obj := f.automation(name, "")
		obj.Spec.SourceRef.Name = source
		create(t, obj)
		return obj
	}
	source("codecommit", "https://"+host+"/v1/repos/repo")
	source("github", "https://github.com/org/repo")

	cur := pushed(t, automation("codecommit", "codecommit"), "")
	g.Expect(f.head("refs/heads/main")).To(Equal(cur.Status.LastPushCommit))
	g.Expect(f.show(t, "refs/heads/main", "app.yaml")).To(ContainSubstring("app:1.2.4 #"))
	g.Expect(cc.Accepted(cloudtest.RoleARN)).To(BeNumerically(">=", 2), "fetched and pushed through the front")

	statuscheck.Stalled(t, k8s, automation("other-host", "github"), imagev1.InvalidSourceConfigReason,
		"GitRepository '"+f.ns+"/github': spec.provider aws logs in to AWS CodeCommit repositories")
	cc.RequireRole(cloudtest.TenantRoleARN)
	statuscheck.NotReady(t, k8s, automation("refused", "codecommit"), imagev1.GitOperationFailedReason, "authentication failed")
}
