package action

import (
	"bytes"
	"context"
	"testing"

	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/ferry-gitops/ferry/shared/testing/testenv"
)

// appendRenderer is a post-renderer that appends one document to the manifests.
type appendRenderer string

// Run appends the document.
func (r appendRenderer) Run(in *bytes.Buffer) (*bytes.Buffer, error) {
	out := bytes.NewBuffer(append([]byte(nil), in.Bytes()...))
	out.WriteString("\n---\n" + string(r) + "\n")
	return out, nil
}

func TestPostRendererAndStorageLabels(t *testing.T) {
	g := NewWithT(t)
	ns := testenv.NewNamespace(t, env.Client)
	c := newClient(t, ns)
	extra := appendRenderer("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: post-rendered\ndata:\n  by: renderer")

	rel, err := c.Install(ctxFor(t), packageChart(t, "schema"), nil, InstallOptions{ReleaseName: "rendered",
		PostRenderer: extra, Labels: map[string]string{"team": "a"}})
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(rel.Manifest).To(ContainSubstring("name: post-rendered"))
	var cm corev1.ConfigMap
	g.Expect(env.Client.Get(context.Background(), client.ObjectKey{Namespace: ns, Name: "post-rendered"}, &cm)).To(Succeed())
	g.Expect(cm.Data).To(HaveKeyWithValue("by", "renderer"))

	var secret corev1.Secret
	g.Expect(env.Client.Get(context.Background(), client.ObjectKey{Namespace: ns, Name: "sh.helm.release.v1.rendered.v1"}, &secret)).To(Succeed())
	g.Expect(secret.Labels).To(HaveKeyWithValue("team", "a"))
	g.Expect(secret.Labels).To(HaveKeyWithValue("owner", "helm"))

	rel, err = c.Upgrade(ctxFor(t), packageChart(t, "schema"), nil, UpgradeOptions{ReleaseName: "rendered"})
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(rel.Manifest).NotTo(ContainSubstring("post-rendered"), "without the renderer the extra object leaves the release")
	err = env.Client.Get(context.Background(), client.ObjectKey{Namespace: ns, Name: "post-rendered"}, &cm)
	g.Expect(client.IgnoreNotFound(err)).To(Succeed())
	g.Expect(err).To(HaveOccurred(), "and is deleted")
}
