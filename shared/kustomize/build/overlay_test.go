package build

import (
	"testing"

	. "github.com/onsi/gomega"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	kustomizev1 "github.com/ferry-gitops/ferry/shared/api/kustomize/v1"
	fluxmeta "github.com/ferry-gitops/ferry/shared/api/meta"
)

// container returns the first container of a workload.
func container(g *WithT, o *unstructured.Unstructured) map[string]any {
	containers := nested(g, o, "spec", "template", "spec", "containers").([]any)
	return containers[0].(map[string]any)
}

func TestBuildOverlayFields(t *testing.T) {
	tests := []struct {
		name    string
		path    string
		spec    kustomizev1.KustomizationSpec
		check   func(g *WithT, objs []*unstructured.Unstructured)
		wantErr string
	}{
		{
			name: "no overlay keeps the kustomization as written",
			path: "overlay/app",
			check: func(g *WithT, objs []*unstructured.Unstructured) {
				g.Expect(objs).To(HaveLen(2))
				g.Expect(find(objs, "Deployment", "original", "web")).NotTo(BeNil())
			},
		},
		{
			name: "targetNamespace replaces the kustomization's namespace",
			path: "overlay/app", spec: kustomizev1.KustomizationSpec{TargetNamespace: "target"},
			check: func(g *WithT, objs []*unstructured.Unstructured) {
				g.Expect(find(objs, "Deployment", "target", "web")).NotTo(BeNil())
				g.Expect(find(objs, "Service", "target", "web")).NotTo(BeNil())
			},
		},
		{
			name: "namePrefix and nameSuffix",
			path: "overlay/app", spec: kustomizev1.KustomizationSpec{NamePrefix: "pre-", NameSuffix: "-suf"},
			check: func(g *WithT, objs []*unstructured.Unstructured) {
				g.Expect(find(objs, "Deployment", "original", "pre-web-suf")).NotTo(BeNil())
				g.Expect(find(objs, "Service", "original", "pre-web-suf")).NotTo(BeNil())
			},
		},
		{
			name: "strategic merge patch with a target selector",
			path: "overlay/app",
			spec: kustomizev1.KustomizationSpec{Patches: []fluxmeta.Patch{{
				Patch:  "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: any\nspec:\n  replicas: 4\n",
				Target: &fluxmeta.Selector{Kind: "Deployment", LabelSelector: "app=web"},
			}}},
			check: func(g *WithT, objs []*unstructured.Unstructured) {
				g.Expect(nested(g, find(objs, "Deployment", "original", "web"), "spec", "replicas")).To(Equal(int64(4)))
			},
		},
		{
			name: "strategic merge patch without target matches kind and name",
			path: "overlay/app",
			spec: kustomizev1.KustomizationSpec{Patches: []fluxmeta.Patch{{
				Patch: "apiVersion: v1\nkind: Service\nmetadata:\n  name: web\n  annotations:\n    patched: \"yes\"\n",
			}}},
			check: func(g *WithT, objs []*unstructured.Unstructured) {
				g.Expect(find(objs, "Service", "original", "web").GetAnnotations()).To(HaveKeyWithValue("patched", "yes"))
			},
		},
		{
			name: "JSON 6902 patch selected by group, version, kind and name regex",
			path: "overlay/app",
			spec: kustomizev1.KustomizationSpec{Patches: []fluxmeta.Patch{{
				Patch:  "- op: replace\n  path: /spec/replicas\n  value: 7\n",
				Target: &fluxmeta.Selector{Group: "apps", Version: "v1", Kind: "Deployment", Name: "w.*"},
			}}},
			check: func(g *WithT, objs []*unstructured.Unstructured) {
				g.Expect(nested(g, find(objs, "Deployment", "original", "web"), "spec", "replicas")).To(Equal(int64(7)))
			},
		},
		{
			name: "images: new name and tag, then digest",
			path: "overlay/app",
			spec: kustomizev1.KustomizationSpec{Images: []fluxmeta.Image{{Name: "nginx", NewName: "ghcr.io/org/nginx", NewTag: "2.0"}}},
			check: func(g *WithT, objs []*unstructured.Unstructured) {
				g.Expect(container(g, find(objs, "Deployment", "original", "web"))["image"]).To(Equal("ghcr.io/org/nginx:2.0"))
			},
		},
		{
			name: "images: digest replaces the tag",
			path: "overlay/app",
			spec: kustomizev1.KustomizationSpec{Images: []fluxmeta.Image{{Name: "nginx", Digest: "sha256:" + sha}}},
			check: func(g *WithT, objs []*unstructured.Unstructured) {
				g.Expect(container(g, find(objs, "Deployment", "original", "web"))["image"]).To(Equal("nginx@sha256:" + sha))
			},
		},
		{
			name: "images: the last entry of a name replaces the earlier ones, as in Flux",
			path: "overlay/app",
			spec: kustomizev1.KustomizationSpec{Images: []fluxmeta.Image{
				{Name: "nginx", NewTag: "2.0"}, {Name: "nginx", NewName: "ghcr.io/org/nginx"},
			}},
			check: func(g *WithT, objs []*unstructured.Unstructured) {
				g.Expect(container(g, find(objs, "Deployment", "original", "web"))["image"]).To(Equal("ghcr.io/org/nginx:1.0"))
			},
		},
		{
			name: "patches selected by annotations",
			path: "overlay/app",
			spec: kustomizev1.KustomizationSpec{Patches: []fluxmeta.Patch{{
				Patch: "apiVersion: v1\nkind: Service\nmetadata:\n  name: web\n  annotations:\n    patched: \"yes\"\n",
			}, {
				Patch:  "- op: add\n  path: /metadata/labels/by-annotation\n  value: \"yes\"\n",
				Target: &fluxmeta.Selector{AnnotationSelector: "patched=yes"},
			}}},
			check: func(g *WithT, objs []*unstructured.Unstructured) {
				g.Expect(find(objs, "Service", "original", "web").GetLabels()).To(HaveKeyWithValue("by-annotation", "yes"))
				g.Expect(find(objs, "Deployment", "original", "web").GetLabels()).NotTo(HaveKey("by-annotation"))
			},
		},
		{
			name: "buildMetadata transformerAnnotations records the transformers",
			path: "overlay/app",
			spec: kustomizev1.KustomizationSpec{
				NamePrefix:    "pre-",
				BuildMetadata: []kustomizev1.BuildMetadataOption{kustomizev1.TransformerAnnotations},
			},
			check: func(g *WithT, objs []*unstructured.Unstructured) {
				d := find(objs, "Deployment", "original", "pre-web")
				g.Expect(d.GetAnnotations()).To(HaveKeyWithValue("alpha.config.kubernetes.io/transformations", ContainSubstring("PrefixTransformer")))
				g.Expect(d.GetAnnotations()).NotTo(HaveKey("config.kubernetes.io/origin"))
			},
		},
		{
			name: "components relative to the path are added",
			path: "overlay/app", spec: kustomizev1.KustomizationSpec{Components: []string{"../components/extra"}},
			check: func(g *WithT, objs []*unstructured.Unstructured) {
				g.Expect(find(objs, "ConfigMap", "original", "extra")).NotTo(BeNil())
			},
		},
		{
			name: "a missing component fails the build",
			path: "overlay/app", spec: kustomizev1.KustomizationSpec{Components: []string{"../components/missing"}},
			wantErr: "components/missing",
		},
		{
			name: "ignoreMissingComponents leaves missing components out",
			path: "overlay/app",
			spec: kustomizev1.KustomizationSpec{
				Components: []string{"../components/missing", "../components/extra"}, IgnoreMissingComponents: true,
			},
			check: func(g *WithT, objs []*unstructured.Unstructured) {
				g.Expect(objs).To(HaveLen(3))
			},
		},
		{
			name: "commonMetadata sets labels and annotations on objects, not selectors",
			path: "overlay/app",
			spec: kustomizev1.KustomizationSpec{CommonMetadata: &fluxmeta.CommonMetadata{
				Labels:      map[string]string{"tier": "common", "owner": "team-a"},
				Annotations: map[string]string{"note": "managed"},
			}},
			check: func(g *WithT, objs []*unstructured.Unstructured) {
				for _, o := range objs {
					g.Expect(o.GetLabels()).To(HaveKeyWithValue("owner", "team-a"))
					g.Expect(o.GetLabels()).To(HaveKeyWithValue("tier", "common"))
					g.Expect(o.GetLabels()).To(HaveKeyWithValue("app", "web"))
					g.Expect(o.GetAnnotations()).To(HaveKeyWithValue("note", "managed"))
				}
				svc := find(objs, "Service", "original", "web")
				g.Expect(nested(g, svc, "spec", "selector")).To(Equal(map[string]any{"app": "web"}))
				d := find(objs, "Deployment", "original", "web")
				g.Expect(nested(g, d, "spec", "selector", "matchLabels")).To(Equal(map[string]any{"app": "web"}))
			},
		},
		{
			name: "buildMetadata originAnnotations records the source file",
			path: "overlay/app",
			spec: kustomizev1.KustomizationSpec{BuildMetadata: []kustomizev1.BuildMetadataOption{kustomizev1.OriginAnnotations}},
			check: func(g *WithT, objs []*unstructured.Unstructured) {
				d := find(objs, "Deployment", "original", "web")
				g.Expect(d.GetAnnotations()).To(HaveKeyWithValue("config.kubernetes.io/origin", ContainSubstring("deployment.yaml")))
			},
		},
		{
			name: "every overlay field on a generated kustomization",
			path: "plain",
			spec: kustomizev1.KustomizationSpec{
				TargetNamespace: "gen", NamePrefix: "p-",
				Images:         []fluxmeta.Image{{Name: "busybox", NewTag: "1.37"}},
				Patches:        []fluxmeta.Patch{{Patch: "- op: add\n  path: /spec/replicas\n  value: 2\n", Target: &fluxmeta.Selector{Kind: "Deployment"}}},
				CommonMetadata: &fluxmeta.CommonMetadata{Labels: map[string]string{"gen": "true"}},
			},
			check: func(g *WithT, objs []*unstructured.Unstructured) {
				d := find(objs, "Deployment", "gen", "p-plain")
				g.Expect(container(g, d)["image"]).To(Equal("busybox:1.37"))
				g.Expect(nested(g, d, "spec", "replicas")).To(Equal(int64(2)))
				g.Expect(d.GetLabels()).To(HaveKeyWithValue("gen", "true"))
				g.Expect(find(objs, "ConfigMap", "gen", "p-sub-cm")).NotTo(BeNil())
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := NewWithT(t)
			objs, err := Build(&tt.spec, Options{Root: "testdata/overlay/..", Path: tt.path})
			if tt.wantErr != "" {
				g.Expect(err).To(MatchError(ContainSubstring(tt.wantErr)))
				return
			}
			g.Expect(err).NotTo(HaveOccurred())
			tt.check(g, objs)
		})
	}
}

// sha is a digest for image tests.
const sha = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

func TestBuildGeneratedKustomization(t *testing.T) {
	g := NewWithT(t)
	objs, err := Build(nil, Options{Root: "testdata/plain"})
	g.Expect(err).NotTo(HaveOccurred())
	var names []string
	for _, o := range objs {
		names = append(names, objectKey(o))
	}
	// Legacy order: Namespace first; the sub-directory with a kustomization is built by it.
	g.Expect(names).To(Equal([]string{
		"Namespace plain-ns", "ConfigMap sub-cm", "Service plain", "Deployment.apps plain",
	}))
}

func TestBuildOrderIsStable(t *testing.T) {
	g := NewWithT(t)
	first, err := Build(nil, Options{Root: seedRepo, Path: "deploy"})
	g.Expect(err).NotTo(HaveOccurred())
	for range 3 {
		again, err := Build(nil, Options{Root: seedRepo, Path: "deploy"})
		g.Expect(err).NotTo(HaveOccurred())
		g.Expect(again).To(Equal(first))
	}
}
