package action

import (
	"context"
	"testing"

	. "github.com/onsi/gomega"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	fluxmeta "github.com/ferry-gitops/ferry/shared/api/meta"
	"github.com/ferry-gitops/ferry/shared/apply"
	"github.com/ferry-gitops/ferry/shared/testing/testenv"
)

// patch applies a JSON merge patch to obj in the cluster, as a user's kubectl would.
func patch(g Gomega, obj client.Object, p string) {
	g.Expect(env.Client.Patch(context.Background(), obj, client.RawPatch(types.MergePatchType, []byte(p)),
		client.FieldOwner("kubectl-edit"))).To(Succeed())
}

func TestDriftDetectedAndCorrected(t *testing.T) {
	g := NewWithT(t)
	ns := testenv.NewNamespace(t, env.Client)
	c := newClient(t, ns)
	rel := install(t, c, "app", "app", nil)

	d, err := c.Drift(ctxFor(t), rel, nil)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(d.Detected()).To(BeFalse(), "a fresh release has no drift: %s", d)

	key := func(name string) client.ObjectKey { return client.ObjectKey{Namespace: ns, Name: name} }
	cm := &corev1.ConfigMap{}
	g.Expect(env.Client.Get(context.Background(), key("app-config"), cm)).To(Succeed())
	patch(g, cm, `{"data":{"message":"edited"}}`)
	dep := &appsv1.Deployment{}
	g.Expect(env.Client.Get(context.Background(), key("app"), dep)).To(Succeed())
	patch(g, dep, `{"spec":{"replicas":3}}`)
	svc := &corev1.Service{}
	g.Expect(env.Client.Get(context.Background(), key("app"), svc)).To(Succeed())
	g.Expect(env.Client.Delete(context.Background(), svc)).To(Succeed())

	d, err = c.Drift(ctxFor(t), rel, nil)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(d.String()).To(Equal("3 object(s) of release app revision 1 drifted: " +
		"ConfigMap/" + ns + "/app-config changed (/data/message); " +
		"Deployment/" + ns + "/app changed (/spec/replicas); " +
		"Service/" + ns + "/app missing"))

	ignore := []fluxmeta.IgnoreRule{{Paths: []string{"/spec/replicas"}, Target: &fluxmeta.Selector{Kind: "Deployment", Name: "ap+"}}}
	d, err = c.Drift(ctxFor(t), rel, ignore)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(d.Objects).To(HaveLen(2), "ignored fields are not drift: %s", d)

	cs, err := c.CorrectDrift(ctxFor(t), d)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(cs.Count(apply.Created)).To(Equal(1))
	g.Expect(cs.Count(apply.Configured)).To(Equal(1))
	g.Expect(env.Client.Get(context.Background(), key("app-config"), cm)).To(Succeed())
	g.Expect(cm.Data).To(HaveKeyWithValue("message", "hello"))
	g.Expect(env.Client.Get(context.Background(), key("app"), svc)).To(Succeed())
	g.Expect(svc.Labels).To(HaveKeyWithValue("app.kubernetes.io/managed-by", "Helm"), "a recreated object stays the release's")
	g.Expect(env.Client.Get(context.Background(), key("app"), dep)).To(Succeed())
	g.Expect(*dep.Spec.Replicas).To(BeEquivalentTo(3), "an ignored field is left as the user set it")

	d, err = c.Drift(ctxFor(t), rel, ignore)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(d.Detected()).To(BeFalse(), "corrected: %s", d)
	last, err := c.LastRelease("app")
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(last.Version).To(Equal(1), "correcting drift makes no new revision")

	// An object can opt out of drift detection.
	patch(g, cm, `{"metadata":{"annotations":{"helm.toolkit.fluxcd.io/driftDetection":"disabled"}},"data":{"message":"mine"}}`)
	d, err = c.Drift(ctxFor(t), rel, ignore)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(d.Detected()).To(BeFalse(), "opted out: %s", d)

	_, err = c.Drift(ctxFor(t), rel, []fluxmeta.IgnoreRule{{Paths: []string{"spec"}}})
	g.Expect(err).To(MatchError(ContainSubstring(`invalid JSON pointer "spec"`)))
}
