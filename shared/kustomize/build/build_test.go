package build

import (
	"errors"
	"strings"
	"testing"

	. "github.com/onsi/gomega"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	kustomizev1 "github.com/ferry-gitops/ferry/shared/api/kustomize/v1"
	fluxmeta "github.com/ferry-gitops/ferry/shared/api/meta"
)

// seedRepo is a copy of the seed repository of ../../../shared/examples.
const seedRepo = "testdata/seed-repo"

// find returns the object of a kind, namespace and name, or nil.
func find(objs []*unstructured.Unstructured, kind, ns, name string) *unstructured.Unstructured {
	for _, o := range objs {
		if o.GetKind() == kind && o.GetNamespace() == ns && o.GetName() == name {
			return o
		}
	}
	return nil
}

// nested reads a field of an object, failing the test when it is missing.
func nested(g *WithT, o *unstructured.Unstructured, fields ...string) any {
	g.Expect(o).NotTo(BeNil())
	v, found, err := unstructured.NestedFieldNoCopy(o.Object, fields...)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(found).To(BeTrue(), "field %s", strings.Join(fields, "."))
	return v
}

func TestBuildSeedRepo(t *testing.T) {
	tests := []struct {
		name    string
		root    string // seedRepo when empty
		path    string
		spec    kustomizev1.KustomizationSpec
		check   func(g *WithT, objs []*unstructured.Unstructured)
		wantErr []string
	}{
		{
			name: "seed 002 production overlay patches replicas to 3 with JSON 6902",
			path: "./apps/production",
			check: func(g *WithT, objs []*unstructured.Unstructured) {
				g.Expect(objs).To(HaveLen(2))
				d := find(objs, "Deployment", "production", "my-app")
				g.Expect(nested(g, d, "spec", "replicas")).To(Equal(int64(3)))
				g.Expect(find(objs, "Service", "production", "my-app")).NotTo(BeNil())
			},
		},
		{
			name: "seed 003 plain manifests get a generated kustomization",
			path: "apps/my-app",
			check: func(g *WithT, objs []*unstructured.Unstructured) {
				g.Expect(objs).To(HaveLen(1))
				d := find(objs, "Deployment", "default", "my-app")
				g.Expect(nested(g, d, "spec", "replicas")).To(Equal(int64(2)))
			},
		},
		{
			name: "seed 004 bases, patchesStrategicMerge and images keep working",
			path: "./deploy/overlays/production",
			check: func(g *WithT, objs []*unstructured.Unstructured) {
				d := find(objs, "Deployment", "production", "payment-api")
				g.Expect(nested(g, d, "spec", "replicas")).To(Equal(int64(5)))
				c := container(g, d)
				g.Expect(c["image"]).To(Equal("myapp:v2.1.0"))
				g.Expect(c["resources"]).To(HaveKeyWithValue("limits", HaveKeyWithValue("memory", "2Gi")))
				g.Expect(find(objs, "Service", "production", "payment-api")).NotTo(BeNil())
			},
		},
		{
			name: "seed 004 overlay with spec overlay fields edited in memory",
			path: "./deploy/overlays/production",
			spec: kustomizev1.KustomizationSpec{
				TargetNamespace: "prod-eu", NameSuffix: "-eu",
				Images:  []fluxmeta.Image{{Name: "myapp", NewTag: "v2.2.0"}},
				Patches: []fluxmeta.Patch{{Patch: "- op: replace\n  path: /spec/replicas\n  value: 9\n", Target: &fluxmeta.Selector{Kind: "Deployment"}}},
			},
			check: func(g *WithT, objs []*unstructured.Unstructured) {
				d := find(objs, "Deployment", "prod-eu", "payment-api-eu")
				g.Expect(nested(g, d, "spec", "replicas")).To(Equal(int64(9)))
				c := container(g, d)
				g.Expect(c["image"]).To(Equal("myapp:v2.2.0"))
				g.Expect(c["resources"]).To(HaveKeyWithValue("limits", HaveKeyWithValue("memory", "2Gi")))
			},
		},
		{
			name: "patches selected by the namespace the manifests give",
			path: "apps/my-app",
			spec: kustomizev1.KustomizationSpec{Patches: []fluxmeta.Patch{{
				Patch:  "- op: replace\n  path: /spec/replicas\n  value: 5\n",
				Target: &fluxmeta.Selector{Namespace: "default"},
			}, {
				Patch:  "- op: replace\n  path: /spec/replicas\n  value: 9\n",
				Target: &fluxmeta.Selector{Namespace: "elsewhere"},
			}}},
			check: func(g *WithT, objs []*unstructured.Unstructured) {
				d := find(objs, "Deployment", "default", "my-app")
				g.Expect(nested(g, d, "spec", "replicas")).To(Equal(int64(5)))
			},
		},
		{
			name: "a spec image replaces the overlay's entry of the same name, as in Flux",
			path: "./deploy/overlays/production",
			spec: kustomizev1.KustomizationSpec{Images: []fluxmeta.Image{{Name: "myapp", NewName: "registry.example.com/myapp"}}},
			check: func(g *WithT, objs []*unstructured.Unstructured) {
				d := find(objs, "Deployment", "production", "payment-api")
				g.Expect(container(g, d)["image"]).To(Equal("registry.example.com/myapp:latest"))
			},
		},
		{
			name: "bases, commonLabels, patchesJson6902 (file and inline), inline patchesStrategicMerge, imageTags",
			root: "testdata", path: "legacy",
			check: func(g *WithT, objs []*unstructured.Unstructured) {
				d := find(objs, "Deployment", "", "payment-api")
				g.Expect(nested(g, d, "spec", "replicas")).To(Equal(int64(6)))
				g.Expect(d.GetLabels()).To(HaveKeyWithValue("env", "legacy"))
				c := container(g, d)
				g.Expect(c["image"]).To(Equal("myapp:9.9"))
				g.Expect(c["imagePullPolicy"]).To(Equal("Always"))
				svc := find(objs, "Service", "", "payment-api")
				ports := nested(g, svc, "spec", "ports").([]any)
				g.Expect(ports[0]).To(HaveKeyWithValue("port", int64(8080)))
			},
		},
		{
			name: "seed 004 path ./deploy builds base and overlays together: duplicates",
			path: "./deploy",
			spec: kustomizev1.KustomizationSpec{TargetNamespace: "production"},
			wantErr: []string{`failed to build "./deploy"`, "more than once", "Deployment.apps production/payment-api",
				"./deploy has no kustomization file",
				"./deploy/base, ./deploy/overlays/dev, ./deploy/overlays/production, ./deploy/overlays/staging;",
				"point spec.path at one of them"},
		},
		{
			name:    "the same object in two plain files is a duplicate",
			path:    "./",
			wantErr: []string{"more than once", "my-app", "apps/my-app/my-app.yaml"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := NewWithT(t)
			root := tt.root
			if root == "" {
				root = seedRepo
			}
			objs, err := Build(&tt.spec, Options{Root: root, Path: tt.path})
			if tt.wantErr != nil {
				g.Expect(err).To(HaveOccurred())
				for _, s := range tt.wantErr {
					g.Expect(err.Error()).To(ContainSubstring(s))
				}
				g.Expect(err.Error()).NotTo(ContainSubstring("testdata"))
				return
			}
			g.Expect(err).NotTo(HaveOccurred())
			tt.check(g, objs)
		})
	}
}

func TestBuildPathNotFound(t *testing.T) {
	g := NewWithT(t)
	_, err := Build(nil, Options{Root: seedRepo, Path: "./infrastructure"})
	var notFound *PathNotFoundError
	g.Expect(errors.As(err, &notFound)).To(BeTrue(), "error %v", err)
	g.Expect(notFound.Path).To(Equal("./infrastructure"))
	g.Expect(err).To(MatchError(`failed to build: path "./infrastructure" does not exist in the source`))

	_, err = Build(nil, Options{Root: seedRepo, Path: "./deploy/overlays/production"})
	g.Expect(errors.As(err, &notFound)).To(BeFalse())
}
