package imageupdateautomation

import (
	"context"
	"testing"

	. "github.com/onsi/gomega"

	imagev1 "github.com/ferry-gitops/ferry/shared/api/image/v1"
	fluxmeta "github.com/ferry-gitops/ferry/shared/api/meta"
	sourcev1 "github.com/ferry-gitops/ferry/shared/api/source/v1"
	"github.com/ferry-gitops/ferry/shared/testing/statuscheck"
)

// marked is a manifest whose image is marked for policy ns:name.
func marked(ns, name, image string) string {
	return "apiVersion: v1\nkind: Pod\nmetadata:\n  name: " + name + "\nspec:\n  containers:\n  - name: app\n" +
		"    image: " + image + " # {\"$imagepolicy\": \"" + ns + ":" + name + "\"}\n"
}

// TestPushBranch: pushing to a branch other than the checkout branch creates it from the
// checkout head; a run with nothing new leaves it alone; when the checkout branch moves, the
// update is re-applied on its new head and force-pushed, picking up a marker added there
// meanwhile (which Flux misses). A checkout of a tag pushes to its push branch too.
func TestPushBranch(t *testing.T) {
	g := NewWithT(t)
	f := newFixture(t, nil)
	f.repos.Commit(t, "repo", "main", "app", map[string]string{"apps/app.yaml": marked(f.ns, "app", "ghcr.io/org/app:1.0.0")})
	main := f.head("refs/heads/main")
	f.policy(t, "app", "ghcr.io/org/app", "1.2.4", nil)
	f.policy(t, "sidecar", "ghcr.io/org/sidecar", "2.0.0", nil)
	obj := f.automation("to-auto", "apps")
	obj.Spec.GitSpec.Checkout = &imagev1.GitCheckoutSpec{Reference: imagev1.GitRepositoryRef{Branch: "main"}}
	obj.Spec.GitSpec.Push.Branch = "auto"
	create(t, obj)

	cur := pushed(t, obj, "")
	first := cur.Status.LastPushCommit
	g.Expect(f.head("refs/heads/auto")).To(Equal(first))
	g.Expect(f.head(first+"^")).To(Equal(main), "auto starts from main")
	g.Expect(f.head("refs/heads/main")).To(Equal(main), "main is not touched")
	g.Expect(cur.Status.ObservedSourceRevision).To(Equal("main@sha1:" + main))

	statuscheck.RequestReconcile(t, k8s, obj)
	g.Expect(f.head("refs/heads/auto")).To(Equal(first), "auto already holds the update: nothing pushed")

	moved := f.repos.Commit(t, "repo", "main", "add a sidecar", map[string]string{"apps/sidecar.yaml": marked(f.ns, "sidecar", "ghcr.io/org/sidecar:1.0.0")})
	statuscheck.RequestReconcile(t, k8s, obj)
	cur = pushed(t, obj, first)
	g.Expect(f.head("refs/heads/auto")).To(Equal(cur.Status.LastPushCommit))
	g.Expect(f.head(cur.Status.LastPushCommit+"^")).To(Equal(moved), "re-applied on main's new head")
	g.Expect(f.show(t, "refs/heads/auto", "apps/app.yaml")).To(ContainSubstring("app:1.2.4 #"))
	g.Expect(f.show(t, "refs/heads/auto", "apps/sidecar.yaml")).To(ContainSubstring("sidecar:2.0.0 #"), "the new marker is picked up")

	f.repos.Tag(t, "repo", "v1", main, "")
	fromTag := f.automation("from-tag", "apps")
	fromTag.Spec.GitSpec.Checkout = &imagev1.GitCheckoutSpec{Reference: imagev1.GitRepositoryRef{Tag: "v1"}}
	fromTag.Spec.GitSpec.Push.Branch = "release"
	create(t, fromTag)
	cur = pushed(t, fromTag, "")
	g.Expect(f.head(cur.Status.LastPushCommit + "^")).To(Equal(main))
	g.Expect(cur.Status.ObservedSourceRevision).To(Equal("v1@sha1:" + main))

	source := &sourcev1.GitRepository{}
	g.Expect(k8s.Get(context.Background(), keyOf(f.ns, "apps"), source)).To(Succeed())
	g.Expect(source.Annotations).NotTo(HaveKey(fluxmeta.ReconcileRequestAnnotation), "main was not pushed: its GitRepository is left alone")
}

// TestBranchTemplate: with the opt-in annotation each update is pushed to its own branch,
// named by the template over the update's data; the checkout branch is not touched.
func TestBranchTemplate(t *testing.T) {
	g := NewWithT(t)
	f := newFixture(t, nil)
	f.repos.Commit(t, "repo", "main", "app", map[string]string{"apps/app.yaml": marked(f.ns, "app", "ghcr.io/org/app:1.0.0")})
	main := f.head("refs/heads/main")
	p := f.policy(t, "app", "ghcr.io/org/app", "1.2.4", nil)
	obj := f.automation("per-update", "")
	obj.Spec.GitSpec.Push = nil
	obj.Annotations = map[string]string{BranchTemplateAnnotation: `image-updates/{{ range .Changed.Changes }}{{ .NewValue | replace ":" "-" | replace "/" "_" }}{{ end }}`}
	create(t, obj)
	cur := pushed(t, obj, "")
	g.Expect(f.head("refs/heads/image-updates/ghcr.io_org_app-1.2.4")).To(Equal(cur.Status.LastPushCommit))
	g.Expect(f.head("refs/heads/main")).To(Equal(main))

	elect(t, p, &imagev1.ImageRef{Name: "ghcr.io/org/app", Tag: "1.2.5"})
	cur = pushed(t, obj, cur.Status.LastPushCommit)
	g.Expect(f.head("refs/heads/image-updates/ghcr.io_org_app-1.2.5")).To(Equal(cur.Status.LastPushCommit))
	g.Expect(f.head("refs/heads/image-updates/ghcr.io_org_app-1.2.4")).NotTo(BeEmpty(), "each update keeps its branch")
	g.Expect(f.head(cur.Status.LastPushCommit + "^")).To(Equal(main))
}
