package imageupdateautomation

import (
	"context"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	imagev1 "github.com/ferry-gitops/ferry/shared/api/image/v1"
	sourcev1 "github.com/ferry-gitops/ferry/shared/api/source/v1"
	"github.com/ferry-gitops/ferry/shared/testing/statuscheck"
	"github.com/ferry-gitops/ferry/shared/testing/testenv"
)

// TestCheckoutRefs: the checkout ref may be a semver range, a ref name or a commit (given
// in full or abbreviated); each update is committed on it and pushed to the push branch,
// with .Values from messageTemplateValues in the message.
func TestCheckoutRefs(t *testing.T) {
	f := newFixture(t, nil)
	first := f.repos.Commit(t, "repo", "main", "app", map[string]string{"app.yaml": marked(f.ns, "app", "ghcr.io/org/app:1.0.0")})
	f.repos.Tag(t, "repo", "v1.0.0", first, "")
	second := f.repos.Commit(t, "repo", "main", "more", map[string]string{"more.yaml": "x: 1\n"})
	f.repos.Tag(t, "repo", "v1.1.0", second, "release 1.1.0")
	f.repos.Push(t, "repo", first, "refs/pull/7/head")
	f.policy(t, "app", "ghcr.io/org/app", "1.2.4", nil)
	tests := []struct {
		name     string
		ref      imagev1.GitRepositoryRef
		base     string
		revision string
	}{
		{name: "semver", ref: imagev1.GitRepositoryRef{SemVer: "1.x"}, base: second, revision: "v1.1.0@sha1:" + second},
		{name: "ref-name", ref: imagev1.GitRepositoryRef{Name: "refs/pull/7/head"}, base: first, revision: "refs/pull/7/head@sha1:" + first},
		{name: "commit", ref: imagev1.GitRepositoryRef{Commit: first}, base: first, revision: "sha1:" + first},
		{name: "short-commit", ref: imagev1.GitRepositoryRef{Commit: second[:10]}, base: second, revision: "sha1:" + second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := NewWithT(t)
			obj := f.automation(tt.name, "")
			obj.Spec.GitSpec.Checkout = &imagev1.GitCheckoutSpec{Reference: tt.ref}
			obj.Spec.GitSpec.Push.Branch = "update-" + tt.name
			obj.Spec.GitSpec.Commit.MessageTemplate = "Update on {{ .Values.cluster }}"
			obj.Spec.GitSpec.Commit.MessageTemplateValues = map[string]string{"cluster": "prod"}
			create(t, obj)
			cur := pushed(t, obj, "")
			g.Expect(f.head(cur.Status.LastPushCommit + "^")).To(Equal(tt.base))
			g.Expect(cur.Status.ObservedSourceRevision).To(Equal(tt.revision))
			g.Expect(f.head("refs/heads/update-" + tt.name)).To(Equal(cur.Status.LastPushCommit))
			msg, _ := gitOutput(f.bare(), "log", "-1", "--format=%B", cur.Status.LastPushCommit)
			g.Expect(msg).To(Equal("Update on prod"))
		})
	}
}

// TestIntervalAndSuspend: a marker added to Git is applied on the automation's interval with
// no other trigger; a suspended automation pushes nothing until resumed.
func TestIntervalAndSuspend(t *testing.T) {
	g := NewWithT(t)
	f := newFixture(t, nil)
	f.repos.Commit(t, "repo", "main", "app", map[string]string{"a.yaml": marked(f.ns, "app", "ghcr.io/org/app:1.0.0")})
	p := f.policy(t, "app", "ghcr.io/org/app", "1.2.4", nil)
	obj := f.automation("every-2s", "")
	obj.Spec.Interval = metav1.Duration{Duration: 2 * time.Second}
	create(t, obj)
	cur := pushed(t, obj, "")
	added := f.repos.Commit(t, "repo", "main", "another file", map[string]string{"b.yaml": marked(f.ns, "app", "ghcr.io/org/app:0.9.0")})
	cur = pushed(t, obj, cur.Status.LastPushCommit)
	g.Expect(f.head(cur.Status.LastPushCommit + "^")).To(Equal(added))
	g.Expect(f.show(t, "refs/heads/main", "b.yaml")).To(ContainSubstring("app:1.2.4 #"))

	statuscheck.Update(t, k8s, obj, func(cur *imagev1.ImageUpdateAutomation) { cur.Spec.Suspend = true })
	g.Eventually(func(g Gomega) {
		seen := &imagev1.ImageUpdateAutomation{}
		g.Expect(mgr.GetClient().Get(context.Background(), client.ObjectKeyFromObject(obj), seen)).To(Succeed())
		g.Expect(seen.Spec.Suspend).To(BeTrue())
	}, statuscheck.Timeout, testenv.Interval).Should(Succeed(), "the controller sees the automation suspended")
	head := f.head("refs/heads/main")
	elect(t, p, &imagev1.ImageRef{Name: "ghcr.io/org/app", Tag: "1.3.0"})
	g.Consistently(func() string { return f.head("refs/heads/main") }, 5*time.Second, time.Second).Should(Equal(head))
	statuscheck.Update(t, k8s, obj, func(cur *imagev1.ImageUpdateAutomation) { cur.Spec.Suspend = false })
	cur = pushed(t, obj, head)
	g.Expect(f.show(t, cur.Status.LastPushCommit, "a.yaml")).To(ContainSubstring("app:1.3.0 #"))
}

// TestCrossNamespaceSource: the GitRepository (and its credentials Secret) may live in
// another namespace; spec.sourceRef.apiVersion may name any version of the source group.
func TestCrossNamespaceSource(t *testing.T) {
	g := NewWithT(t)
	f := newFixture(t, nil)
	other := &fixture{ns: newNamespace(t)}
	f.repos.Commit(t, "repo", "main", "app", map[string]string{"app.yaml": marked(other.ns, "app", "ghcr.io/org/app:1.0.0")})
	other.policy(t, "app", "ghcr.io/org/app", "1.2.4", nil)
	obj := &imagev1.ImageUpdateAutomation{ObjectMeta: metav1.ObjectMeta{Name: "remote-source", Namespace: other.ns},
		Spec: f.automation("x", "").Spec}
	obj.Spec.SourceRef.Namespace = f.ns
	obj.Spec.SourceRef.APIVersion = sourcev1.GroupVersion.String()
	create(t, obj)
	cur := pushed(t, obj, "")
	g.Expect(f.head("refs/heads/main")).To(Equal(cur.Status.LastPushCommit))
	g.Expect(f.show(t, "refs/heads/main", "app.yaml")).To(ContainSubstring("app:1.2.4 #"))
}
