package kustomization

import (
	"testing"

	. "github.com/onsi/gomega"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	kustomizev1 "github.com/ferry-gitops/ferry/shared/api/kustomize/v1"
	fluxmeta "github.com/ferry-gitops/ferry/shared/api/meta"
	sourcev1 "github.com/ferry-gitops/ferry/shared/api/source/v1"
	"github.com/ferry-gitops/ferry/shared/runtime/conditions"
	"github.com/ferry-gitops/ferry/shared/testing/testenv"
)

// TestExternalArtifactSource: a Kustomization takes its artifact from an ExternalArtifact (as
// the ArtifactGenerator of Flux's flux2-kustomize-helm-example publishes them), applies it,
// and applies the next artifact the producer writes into the ExternalArtifact's status. An
// ExternalArtifact without an artifact yet is waited for.
func TestExternalArtifactSource(t *testing.T) {
	g := NewWithT(t)
	ns := testenv.NewNamespace(t, env.Client)
	ea := &sourcev1.ExternalArtifact{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "apps"},
		Spec: sourcev1.ExternalArtifactSpec{SourceRef: &fluxmeta.NamespacedObjectKindReference{
			APIVersion: "source.extensions.fluxcd.io/v1beta1", Kind: "ArtifactGenerator", Name: "flux-system"}}}
	g.Expect(env.Client.Create(ctxT(t), ea)).To(Succeed())
	k := kustomization(t, ns, "apps", "", func(k *kustomizev1.Kustomization) {
		k.Spec.SourceRef = kustomizev1.CrossNamespaceSourceReference{Kind: sourcev1.ExternalArtifactKind, Name: "apps"}
		k.Spec.Path = "./staging"
		k.Spec.TargetNamespace = ns
	})
	g.Eventually(func(g Gomega) {
		g.Expect(env.Client.Get(ctxT(t), client.ObjectKeyFromObject(k), k)).To(Succeed())
		g.Expect(readyMessage(k)).To(ContainSubstring("Source 'ExternalArtifact/" + ns + "/apps' is not ready, artifact not found"))
	}, testenv.Timeout, testenv.Interval).Should(Succeed())

	first := publish(t, ns+"-apps", "latest@sha256:1", map[string]string{"staging/settings.yaml": configMap("settings", "one")})
	first.Revision = "latest@" + first.Digest
	first.Metadata = map[string]string{"org.opencontainers.image.revision": "main@sha1:1111"}
	setExternalArtifact(t, ea, first)
	k = readyAt(t, k, first.Revision)
	g.Expect(object(t, "v1", "ConfigMap", ns, "settings").Object["data"]).To(HaveKeyWithValue("key", "one"))

	second := publish(t, ns+"-apps", "latest@sha256:2", map[string]string{"staging/settings.yaml": configMap("settings", "two")})
	second.Revision = "latest@" + second.Digest
	setExternalArtifact(t, ea, second)
	readyAt(t, k, second.Revision)
	g.Expect(object(t, "v1", "ConfigMap", ns, "settings").Object["data"]).To(HaveKeyWithValue("key", "two"))
}

// setExternalArtifact writes a into the ExternalArtifact's status as its producer would:
// Ready, without observedGeneration (a third-party producer need not set it).
func setExternalArtifact(t *testing.T, ea *sourcev1.ExternalArtifact, a fluxmeta.Artifact) {
	t.Helper()
	NewWithT(t).Eventually(func() error {
		if err := env.Client.Get(ctxT(t), client.ObjectKeyFromObject(ea), ea); err != nil {
			return err
		}
		ea.Status.Artifact = &a
		conditions.MarkTrue(ea, fluxmeta.ReadyCondition, fluxmeta.SucceededReason, "stored artifact for revision "+a.Revision)
		return env.Client.Status().Update(ctxT(t), ea)
	}, testenv.Timeout, testenv.Interval).Should(Succeed())
}
