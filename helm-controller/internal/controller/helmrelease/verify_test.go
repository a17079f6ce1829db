package helmrelease

import (
	"context"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	helmv2 "github.com/ferry-gitops/ferry/shared/api/helm/v2"
	fluxmeta "github.com/ferry-gitops/ferry/shared/api/meta"
	sourcev1 "github.com/ferry-gitops/ferry/shared/api/source/v1"
	"github.com/ferry-gitops/ferry/shared/runtime/conditions"
	"github.com/ferry-gitops/ferry/shared/testing/statuscheck"
	"github.com/ferry-gitops/ferry/shared/testing/testenv"
)

// TestChartVerify: spec.chart.spec.verify is passed on to the release's HelmChart, and the
// release waits while the HelmChart cannot verify the chart, saying why with the HelmChart's
// message; once the HelmChart serves a verified chart, the release installs it.
func TestChartVerify(t *testing.T) {
	g := NewWithT(t)
	ctx := context.Background()
	ns := testenv.NewNamespace(t, k8s)
	keys := &fluxmeta.LocalObjectReference{Name: "cosign-keys"}
	hr := &helmv2.HelmRelease{
		ObjectMeta: metav1.ObjectMeta{Name: "signed", Namespace: ns},
		Spec: helmv2.HelmReleaseSpec{
			Interval: metav1.Duration{Duration: time.Hour},
			Chart: &helmv2.HelmChartTemplate{Spec: helmv2.HelmChartTemplateSpec{
				Chart: "app",
				SourceRef: helmv2.CrossNamespaceObjectReference{APIVersion: sourcev1.GroupVersion.String(),
					Kind: sourcev1.HelmRepositoryKind, Name: "charts"},
				Verify: &helmv2.HelmChartTemplateVerification{Provider: sourcev1.VerificationProviderCosign, SecretRef: keys},
			}},
		},
	}
	g.Expect(k8s.Create(ctx, hr)).To(Succeed())

	hc := &sourcev1.HelmChart{}
	g.Eventually(func() error { return k8s.Get(ctx, key(ns, ns+"-signed"), hc) }, testenv.Timeout, testenv.Interval).Should(Succeed())
	g.Expect(hc.Spec.Verify).To(Equal(&sourcev1.OCIRepositoryVerification{Provider: sourcev1.VerificationProviderCosign, SecretRef: keys}))
	statuscheck.NotReady(t, k8s, hr, helmv2.ArtifactFailedReason, "HelmChart '"+ns+"/"+ns+"-signed' is not ready")

	// The source-controller finds no valid signature: the release says so and installs nothing.
	const failure = "failed to verify the signature of revision '0.1.0' using provider 'cosign': no valid signature: cosign public key 'cosign.pub': no signatures found"
	hc.Status.ObservedGeneration = hc.Generation
	conditions.MarkFalse(hc, sourcev1.SourceVerifiedCondition, sourcev1.VerificationErrorReason, failure)
	conditions.MarkFalse(hc, fluxmeta.ReadyCondition, sourcev1.VerificationErrorReason, failure)
	g.Expect(k8s.Status().Update(ctx, hc)).To(Succeed())
	got := statuscheck.NotReady(t, k8s, hr, helmv2.ArtifactFailedReason, "HelmChart '"+ns+"/"+ns+"-signed' is not ready: "+failure)
	g.Expect(got.Status.History).To(BeEmpty())
	g.Expect(releaseSecrets(g, ns, "signed")).To(BeEmpty())

	// A verified chart is served: the release installs it.
	art := chartArtifact(t, "app", "0.1.0")
	setArtifact(t, hc, &art)
	statuscheck.Ready(t, k8s, hr)
	g.Expect(releaseSecrets(g, ns, "signed")).To(HaveLen(1))
}
