package artifactgenerator_test

import (
	"context"
	"testing"

	. "github.com/onsi/gomega"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	fluxmeta "github.com/ferry-gitops/ferry/shared/api/meta"
	sourcev1 "github.com/ferry-gitops/ferry/shared/api/source/v1"
	sourceextv1beta1 "github.com/ferry-gitops/ferry/shared/api/sourceext/v1beta1"
	"github.com/ferry-gitops/ferry/shared/runtime/conditions"
	"github.com/ferry-gitops/ferry/shared/testing/artifactserver"
	"github.com/ferry-gitops/ferry/shared/testing/statuscheck"
	"github.com/ferry-gitops/ferry/shared/testing/testenv"
)

// apps is a monorepo holding one directory per app, beside files the pattern skips.
func apps(paymentsReplicas string, names ...string) map[string]string {
	files := map[string]string{"apps/README.md": "one directory per app\n", "clusters/prod/apps.yaml": "kind: Kustomization\n"}
	for _, name := range names {
		files["apps/"+name+"/deployment.yaml"] = "kind: Deployment\nname: " + name + "\n"
		files["apps/"+name+"/envs/prod/values.yaml"] = "replicas: 1\n"
	}
	if _, ok := files["apps/payments/deployment.yaml"]; ok {
		files["apps/payments/envs/prod/values.yaml"] = paymentsReplicas
	}
	return files
}

// patternSpec instantiates "{app}-manifests" for each directory of apps/ in repo.
func patternSpec(repo string) sourceextv1beta1.ArtifactGeneratorSpec {
	return sourceextv1beta1.ArtifactGeneratorSpec{
		Sources:     []sourceextv1beta1.SourceReference{{Alias: "repo", Kind: sourcev1.GitRepositoryKind, Name: repo}},
		PathPattern: "@repo/apps/{app}",
		OutputArtifacts: []sourceextv1beta1.OutputArtifact{{Name: "{app}-manifests", OriginRevision: "@repo",
			Copy: []sourceextv1beta1.CopyOperation{copyOp("@repo/apps/{app}/**", "@artifact/{app}/")}}},
	}
}

// inventoryNames returns the names of gen's inventory, in order.
func inventoryNames(gen *sourceextv1beta1.ArtifactGenerator) []string {
	var names []string
	for _, ref := range gen.Status.Inventory {
		names = append(names, ref.Name)
	}
	return names
}

// TestPathPattern: spec.pathPattern instantiates the artifacts for each directory of the
// source it matches, each published as its ExternalArtifact labelled with the captures. A
// commit adding a directory publishes a new ExternalArtifact, and an unchanged directory keeps
// its artifact's record; a commit removing one deletes its ExternalArtifact and file, and one
// leaving no directory deletes them all. A reconcile with nothing new fetches nothing.
func TestPathPattern(t *testing.T) {
	g := NewWithT(t)
	ns := testenv.NewNamespace(t, env.Client)
	server, err := artifactserver.New()
	g.Expect(err).NotTo(HaveOccurred())
	t.Cleanup(server.Close)
	repo := newGitRepositoryOn(t, server, ns, "monorepo", apps("replicas: 1\n", "auth", "payments"), "main@sha1:1111")
	spec := patternSpec(repo.Name)
	spec.CommonMetadata = &sourceextv1beta1.CommonMetadata{Labels: map[string]string{"team": "platform"}}
	gen := statuscheck.Ready(t, env.Client, newGenerator(t, ns, "apps", spec))
	g.Expect(conditions.Get(gen, fluxmeta.ReadyCondition).Message).To(Equal("reconciliation succeeded, generated 2 artifact(s)"))
	g.Expect(inventoryNames(gen)).To(Equal([]string{"auth-manifests", "payments-manifests"}))

	auth, payments := externalArtifact(t, ns, "auth-manifests"), externalArtifact(t, ns, "payments-manifests")
	g.Expect(servedFiles(t, auth.Status.Artifact)).To(Equal(map[string]string{
		"auth/deployment.yaml": "kind: Deployment\nname: auth\n", "auth/envs/prod/values.yaml": "replicas: 1\n"}))
	g.Expect(servedFiles(t, payments.Status.Artifact)).To(HaveKeyWithValue("payments/deployment.yaml", "kind: Deployment\nname: payments\n"))
	for name, ea := range map[string]*sourcev1.ExternalArtifact{"auth": auth, "payments": payments} {
		g.Expect(metav1.IsControlledBy(ea, gen)).To(BeTrue())
		g.Expect(ea.Labels).To(Equal(map[string]string{"app": name, "team": "platform", sourceextv1beta1.GeneratorLabel: "apps"}))
		g.Expect(ea.Status.Artifact.Metadata).To(Equal(map[string]string{sourceextv1beta1.OriginRevisionAnnotation: "main@sha1:1111"}))
		g.Expect(conditions.CheckInvariants(ea)).To(Succeed())
	}

	downloads := server.Downloads()
	gen = statuscheck.RequestReconcile(t, env.Client, gen)
	g.Expect(conditions.IsReady(gen)).To(BeTrue())
	g.Expect(inventoryNames(gen)).To(Equal([]string{"auth-manifests", "payments-manifests"}))
	g.Expect(server.Downloads()).To(Equal(downloads), "published artifacts up to date: no source is fetched")

	// A commit adding billing and changing payments only.
	setArtifactOn(t, server, repo, apps("replicas: 3\n", "auth", "billing", "payments"), "main@sha1:2222")
	gen = statuscheck.Wait(t, env.Client, gen, func(g Gomega, cur *sourceextv1beta1.ArtifactGenerator) {
		g.Expect(inventoryNames(cur)).To(Equal([]string{"auth-manifests", "billing-manifests", "payments-manifests"}))
	})
	g.Expect(conditions.IsReady(gen)).To(BeTrue())
	g.Expect(servedFiles(t, externalArtifact(t, ns, "billing-manifests").Status.Artifact)).To(HaveKey("billing/deployment.yaml"))
	g.Expect(servedFiles(t, externalArtifact(t, ns, "payments-manifests").Status.Artifact)).To(HaveKeyWithValue("payments/envs/prod/values.yaml", "replicas: 3\n"))
	g.Expect(externalArtifact(t, ns, "auth-manifests").Status.Artifact).To(Equal(auth.Status.Artifact), "an unchanged directory keeps its artifact's record")

	// A commit removing payments.
	paymentsArtifact := *externalArtifact(t, ns, "payments-manifests").Status.Artifact
	setArtifactOn(t, server, repo, apps("", "auth", "billing"), "main@sha1:3333")
	gen = statuscheck.Wait(t, env.Client, gen, func(g Gomega, cur *sourceextv1beta1.ArtifactGenerator) {
		g.Expect(inventoryNames(cur)).To(Equal([]string{"auth-manifests", "billing-manifests"}))
	})
	err = env.Client.Get(context.Background(), client.ObjectKey{Namespace: ns, Name: "payments-manifests"}, &sourcev1.ExternalArtifact{})
	g.Expect(apierrors.IsNotFound(err)).To(BeTrue(), "the ExternalArtifact of a removed directory is deleted: %v", err)
	g.Expect(st.Exists(paymentsArtifact)).To(BeFalse(), "and its file")
	g.Expect(externalArtifact(t, ns, "auth-manifests").Status.Artifact).To(Equal(auth.Status.Artifact))

	// A commit leaving no directory.
	setArtifactOn(t, server, repo, map[string]string{"clusters/prod/apps.yaml": "kind: Kustomization\n"}, "main@sha1:4444")
	gen = statuscheck.Wait(t, env.Client, gen, func(g Gomega, cur *sourceextv1beta1.ArtifactGenerator) {
		g.Expect(cur.Status.Inventory).To(BeEmpty())
	})
	g.Expect(conditions.IsReady(gen)).To(BeTrue())
	g.Expect(conditions.Get(gen, fluxmeta.ReadyCondition).Message).To(Equal("reconciliation succeeded, generated 0 artifact(s)"))
	var left sourcev1.ExternalArtifactList
	g.Expect(env.Client.List(context.Background(), &left, client.InNamespace(ns))).To(Succeed())
	g.Expect(left.Items).To(BeEmpty())
}

// TestPathPatternInvalid: a placeholder that is no capture of the pattern stalls the
// generator before any source is read; a directory whose name gives no valid artifact name
// stalls it naming the directory, until a commit renames the directory.
func TestPathPatternInvalid(t *testing.T) {
	ns := testenv.NewNamespace(t, env.Client)
	repo := newGitRepository(t, ns, "monorepo", apps("replicas: 1\n", "auth", "my_app"), "main@sha1:5555")

	spec := patternSpec(repo.Name)
	spec.OutputArtifacts[0].Name = "{app}-{env}"
	statuscheck.Stalled(t, env.Client, newGenerator(t, ns, "undeclared", spec), sourceextv1beta1.ValidationFailedReason,
		"spec.artifacts[0].name: '{env}' in '{app}-{env}' is not a capture of spec.pathPattern '@repo/apps/{app}' (captures: {app})")

	gen := statuscheck.Stalled(t, env.Client, newGenerator(t, ns, "apps", patternSpec(repo.Name)), fluxmeta.BuildFailedReason,
		"spec.artifacts[0].name: '{app}-manifests' gives 'my_app-manifests' for the directory 'apps/my_app', which is not a valid Kubernetes object name")
	err := env.Client.Get(context.Background(), client.ObjectKey{Namespace: ns, Name: "auth-manifests"}, &sourcev1.ExternalArtifact{})
	NewWithT(t).Expect(apierrors.IsNotFound(err)).To(BeTrue(), "nothing is published while a directory fails: %v", err)

	setArtifact(t, repo, apps("replicas: 1\n", "auth", "my-app"), "main@sha1:6666")
	gen = statuscheck.Ready(t, env.Client, gen)
	NewWithT(t).Expect(inventoryNames(gen)).To(Equal([]string{"auth-manifests", "my-app-manifests"}))
}
