package artifactgenerator_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	fluxmeta "github.com/ferry-gitops/ferry/shared/api/meta"
	sourcev1 "github.com/ferry-gitops/ferry/shared/api/source/v1"
	sourceextv1beta1 "github.com/ferry-gitops/ferry/shared/api/sourceext/v1beta1"
	"github.com/ferry-gitops/ferry/shared/artifact"
	"github.com/ferry-gitops/ferry/shared/runtime/conditions"
	"github.com/ferry-gitops/ferry/shared/testing/statuscheck"
	"github.com/ferry-gitops/ferry/shared/testing/testenv"
)

// TestDecomposition is the ArtifactGenerator of Flux's flux2-kustomize-helm-example: one
// GitRepository split into the ExternalArtifacts infrastructure and apps, owned by the
// generator, served by source-controller's storage, with the commit as origin revision. A
// commit that changes apps only gives apps a new artifact; infrastructure keeps its record.
func TestDecomposition(t *testing.T) {
	g := NewWithT(t)
	ns := testenv.NewNamespace(t, env.Client)
	repo := newGitRepository(t, ns, "flux-system", monorepo("replicas: 1\n"), "main@sha1:1111")
	gen := statuscheck.Ready(t, env.Client, newGenerator(t, ns, "flux-system", exampleSpec(repo.Name)))
	g.Expect(conditions.Get(gen, fluxmeta.ReadyCondition).Message).To(Equal("reconciliation succeeded, generated 2 artifact(s)"))

	infra, apps := externalArtifact(t, ns, "infrastructure"), externalArtifact(t, ns, "apps")
	g.Expect(servedFiles(t, infra.Status.Artifact)).To(Equal(map[string]string{
		"controllers/kustomization.yaml": "resources: [cert-manager.yaml]\n",
		"controllers/cert-manager.yaml":  "kind: HelmRelease\n",
		"configs/cluster-issuers.yaml":   "kind: ClusterIssuer\n",
	}))
	g.Expect(servedFiles(t, apps.Status.Artifact)).To(HaveKeyWithValue("staging/podinfo-values.yaml", "replicas: 1\n"))
	g.Expect(servedFiles(t, apps.Status.Artifact)).To(HaveKey("base/podinfo/release.yaml"))
	for _, ea := range []*sourcev1.ExternalArtifact{infra, apps} {
		a := ea.Status.Artifact
		g.Expect(a.Revision).To(Equal("latest@" + a.Digest))
		g.Expect(a.Metadata).To(Equal(map[string]string{sourceextv1beta1.OriginRevisionAnnotation: "main@sha1:1111"}))
		g.Expect(a.URL).To(HavePrefix("http://" + suite.Storage.URL("")[len("http://"):]))
		g.Expect(metav1.IsControlledBy(ea, gen)).To(BeTrue())
		g.Expect(ea.Labels).To(HaveKeyWithValue(sourceextv1beta1.GeneratorLabel, "flux-system"))
		g.Expect(*ea.Spec.SourceRef).To(Equal(fluxmeta.NamespacedObjectKindReference{APIVersion: "source.extensions.fluxcd.io/v1beta1",
			Kind: "ArtifactGenerator", Name: "flux-system", Namespace: ns}))
		g.Expect(conditions.IsReady(ea)).To(BeTrue())
		g.Expect(conditions.CheckInvariants(ea)).To(Succeed())
	}
	g.Expect(gen.Status.Inventory).To(Equal([]sourceextv1beta1.ExternalArtifactReference{
		{Name: "infrastructure", Namespace: ns, Digest: infra.Status.Artifact.Digest, Filename: filepath.Base(infra.Status.Artifact.Path)},
		{Name: "apps", Namespace: ns, Digest: apps.Status.Artifact.Digest, Filename: filepath.Base(apps.Status.Artifact.Path)},
	}))
	g.Expect(gen.Status.ObservedSourcesDigest).To(HavePrefix("sha256:"))

	// A commit that changes the staging values only.
	setArtifact(t, repo, monorepo("replicas: 2\n"), "main@sha1:2222")
	gen = statuscheck.Wait(t, env.Client, gen, func(g Gomega, cur *sourceextv1beta1.ArtifactGenerator) {
		g.Expect(cur.Status.Inventory).To(HaveLen(2))
		g.Expect(cur.Status.Inventory[1].Digest).NotTo(Equal(apps.Status.Artifact.Digest))
	})
	newApps := externalArtifact(t, ns, "apps")
	g.Expect(servedFiles(t, newApps.Status.Artifact)).To(HaveKeyWithValue("staging/podinfo-values.yaml", "replicas: 2\n"))
	g.Expect(newApps.Status.Artifact.Metadata[sourceextv1beta1.OriginRevisionAnnotation]).To(Equal("main@sha1:2222"))
	g.Expect(externalArtifact(t, ns, "infrastructure").Status.Artifact).To(Equal(infra.Status.Artifact), "an unchanged artifact keeps its record")
	g.Expect(statuscheck.Events(t, env.Client, gen, sourceextv1beta1.ArtifactGeneratorKind, sourcev1.NewArtifactEventReason)).To(
		ContainElement(ContainSubstring("ExternalArtifact '" + ns + "/apps' with revision '" + newApps.Status.Artifact.Revision + "'")))
}

// TestChartComposition is the chart composition of Flux's documentation: a packaged chart
// (a HelmChart's artifact) with values from Git merged into its values.yaml, published at the
// chart's revision.
func TestChartComposition(t *testing.T) {
	g := NewWithT(t)
	ns := testenv.NewNamespace(t, env.Client)
	chartDir := t.TempDir()
	for p, c := range map[string]string{"podinfo/Chart.yaml": "apiVersion: v2\nname: podinfo\nversion: 6.7.0\n",
		"podinfo/values.yaml": "replicaCount: 1\nimage:\n  repository: ghcr.io/stefanprodan/podinfo\n  tag: 6.7.0\n"} {
		g.Expect(os.MkdirAll(filepath.Join(chartDir, filepath.Dir(p)), 0o755)).To(Succeed())
		g.Expect(os.WriteFile(filepath.Join(chartDir, p), []byte(c), 0o644)).To(Succeed())
	}
	tgz := filepath.Join(t.TempDir(), "podinfo-6.7.0.tgz")
	_, _, err := artifact.Build(context.Background(), chartDir, tgz, nil)
	g.Expect(err).NotTo(HaveOccurred())
	chartArtifact, err := upstream.ArtifactFromFile(ns+"/podinfo-6.7.0.tgz", tgz, "6.7.0")
	g.Expect(err).NotTo(HaveOccurred())
	hc := &sourcev1.HelmChart{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "podinfo"}, Spec: sourcev1.HelmChartSpec{
		Chart: "podinfo", SourceRef: sourcev1.LocalHelmChartSourceReference{Kind: sourcev1.HelmRepositoryKind, Name: "podinfo"},
		Interval: metav1.Duration{Duration: 3600e9}}}
	g.Expect(env.Client.Create(context.Background(), hc)).To(Succeed())
	setStatus(t, hc, &chartArtifact)
	newGitRepository(t, ns, "values", map[string]string{"charts/podinfo/values-prod.yaml": "replicaCount: 3\n"}, "main@sha1:3333")

	newGenerator(t, ns, "podinfo", sourceextv1beta1.ArtifactGeneratorSpec{
		Sources: []sourceextv1beta1.SourceReference{{Alias: "chart", Kind: sourcev1.HelmChartKind, Name: "podinfo"},
			{Alias: "repo", Kind: sourcev1.GitRepositoryKind, Name: "values"}},
		OutputArtifacts: []sourceextv1beta1.OutputArtifact{{Name: "podinfo-composite", Revision: "@chart", OriginRevision: "@repo",
			Copy: []sourceextv1beta1.CopyOperation{copyOp("@chart/", "@artifact/"),
				{From: "@repo/charts/podinfo/values-prod.yaml", To: "@artifact/podinfo/values.yaml", Strategy: sourceextv1beta1.MergeStrategy}}}},
	})
	ea := statuscheck.Ready(t, env.Client, &sourcev1.ExternalArtifact{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "podinfo-composite"}})
	g.Expect(ea.Status.Artifact.Revision).To(Equal("6.7.0"))
	files := servedFiles(t, ea.Status.Artifact)
	g.Expect(files).To(HaveKey("podinfo/Chart.yaml"))
	g.Expect(files["podinfo/values.yaml"]).To(Equal("image:\n  repository: ghcr.io/stefanprodan/podinfo\n  tag: 6.7.0\nreplicaCount: 3\n"))
}

// TestCommonMetadataAndPrune: spec.commonMetadata labels and annotates the ExternalArtifacts;
// an artifact removed from the spec has its ExternalArtifact and files deleted; deleting the
// generator deletes the rest.
func TestCommonMetadataAndPrune(t *testing.T) {
	g := NewWithT(t)
	ns := testenv.NewNamespace(t, env.Client)
	repo := newGitRepository(t, ns, "flux-system", monorepo("replicas: 1\n"), "main@sha1:4444")
	spec := exampleSpec(repo.Name)
	spec.CommonMetadata = &sourceextv1beta1.CommonMetadata{Labels: map[string]string{"team": "platform"}, Annotations: map[string]string{"owner": "sre"}}
	gen := statuscheck.Ready(t, env.Client, newGenerator(t, ns, "flux-system", spec))
	apps := externalArtifact(t, ns, "apps")
	g.Expect(apps.Labels).To(HaveKeyWithValue("team", "platform"))
	g.Expect(apps.Annotations).To(HaveKeyWithValue("owner", "sre"))
	appsFile := apps.Status.Artifact.Path

	gen = statuscheck.Update(t, env.Client, gen, func(cur *sourceextv1beta1.ArtifactGenerator) {
		cur.Spec.OutputArtifacts = cur.Spec.OutputArtifacts[:1]
	})
	gen = statuscheck.Wait(t, env.Client, gen, func(g Gomega, cur *sourceextv1beta1.ArtifactGenerator) {
		g.Expect(conditions.IsReady(cur)).To(BeTrue())
		g.Expect(cur.Status.Inventory).To(HaveLen(1))
	})
	err := env.Client.Get(context.Background(), client.ObjectKey{Namespace: ns, Name: "apps"}, &sourcev1.ExternalArtifact{})
	g.Expect(apierrors.IsNotFound(err)).To(BeTrue(), "apps was not deleted: %v", err)
	g.Expect(st.Exists(fluxmeta.Artifact{Path: appsFile})).To(BeFalse())

	infraFile := externalArtifact(t, ns, "infrastructure").Status.Artifact.Path
	g.Expect(env.Client.Delete(context.Background(), gen)).To(Succeed())
	g.Eventually(func() bool {
		return apierrors.IsNotFound(env.Client.Get(context.Background(), client.ObjectKeyFromObject(gen), gen))
	}, testenv.Timeout, testenv.Interval).Should(BeTrue())
	g.Expect(st.Exists(fluxmeta.Artifact{Path: infraFile})).To(BeFalse(), "the finalizer removes the files")
	err = env.Client.Get(context.Background(), client.ObjectKey{Namespace: ns, Name: "infrastructure"}, &sourcev1.ExternalArtifact{})
	g.Expect(apierrors.IsNotFound(err)).To(BeTrue(), "infrastructure was not deleted: %v", err)
}

// TestDisabled: the annotation source.extensions.fluxcd.io/reconcile: Disabled pauses the
// generator (a new source revision is not composed); removing it resumes it.
func TestDisabled(t *testing.T) {
	g := NewWithT(t)
	ns := testenv.NewNamespace(t, env.Client)
	repo := newGitRepository(t, ns, "flux-system", monorepo("replicas: 1\n"), "main@sha1:5555")
	gen := statuscheck.Ready(t, env.Client, newGenerator(t, ns, "flux-system", exampleSpec(repo.Name)))
	before := externalArtifact(t, ns, "apps").Status.Artifact
	setAnnotation := func(v string) {
		statuscheck.Update(t, env.Client, gen, func(cur *sourceextv1beta1.ArtifactGenerator) {
			ann := cur.GetAnnotations()
			if ann == nil {
				ann = map[string]string{}
			}
			if v == "" {
				delete(ann, sourceextv1beta1.ReconcileAnnotation)
			} else {
				ann[sourceextv1beta1.ReconcileAnnotation] = v
			}
			cur.SetAnnotations(ann)
		})
	}
	setAnnotation("disabled")
	setArtifact(t, repo, monorepo("replicas: 5\n"), "main@sha1:6666")
	g.Consistently(func() *fluxmeta.Artifact { return externalArtifact(t, ns, "apps").Status.Artifact }, "2s", testenv.Interval).Should(Equal(before))
	setAnnotation("")
	g.Eventually(func() string {
		return servedFiles(t, externalArtifact(t, ns, "apps").Status.Artifact)["staging/podinfo-values.yaml"]
	}, testenv.Timeout, testenv.Interval).Should(Equal("replicas: 5\n"))
	g.Expect(strings.Join(statuscheck.Events(t, env.Client, gen, sourceextv1beta1.ArtifactGeneratorKind), "\n")).NotTo(ContainSubstring(corev1.EventTypeWarning))
}

// TestChainedAcrossNamespaces: a generator reads, from another namespace, the ExternalArtifact
// another generator publishes, and follows its new artifacts.
func TestChainedAcrossNamespaces(t *testing.T) {
	g := NewWithT(t)
	platform, team := testenv.NewNamespace(t, env.Client), testenv.NewNamespace(t, env.Client)
	repo := newGitRepository(t, platform, "flux-system", monorepo("replicas: 1\n"), "main@sha1:dddd")
	statuscheck.Ready(t, env.Client, newGenerator(t, platform, "flux-system", exampleSpec(repo.Name)))
	gen := statuscheck.Ready(t, env.Client, newGenerator(t, team, "staging", sourceextv1beta1.ArtifactGeneratorSpec{
		Sources: []sourceextv1beta1.SourceReference{{Alias: "apps", Kind: sourcev1.ExternalArtifactKind, Name: "apps", Namespace: platform}},
		OutputArtifacts: []sourceextv1beta1.OutputArtifact{{Name: "staging", Revision: "@apps",
			Copy: []sourceextv1beta1.CopyOperation{copyOp("@apps/staging/", "@artifact/")}}},
	}))
	staging := externalArtifact(t, team, "staging")
	g.Expect(staging.Status.Artifact.Revision).To(Equal(externalArtifact(t, platform, "apps").Status.Artifact.Revision))
	g.Expect(servedFiles(t, staging.Status.Artifact)).To(HaveKeyWithValue("staging/podinfo-values.yaml", "replicas: 1\n"))

	setArtifact(t, repo, monorepo("replicas: 4\n"), "main@sha1:eeee")
	statuscheck.Wait(t, env.Client, gen, func(g Gomega, cur *sourceextv1beta1.ArtifactGenerator) {
		g.Expect(cur.Status.Inventory).To(HaveLen(1))
		g.Expect(cur.Status.Inventory[0].Digest).NotTo(Equal(staging.Status.Artifact.Digest))
	})
	g.Expect(servedFiles(t, externalArtifact(t, team, "staging").Status.Artifact)).To(HaveKeyWithValue("staging/podinfo-values.yaml", "replicas: 4\n"))
}
