package build

import (
	"fmt"
	"path/filepath"
	"sync"
	"testing"

	. "github.com/onsi/gomega"

	kustomizev1 "github.com/ferry-gitops/ferry/shared/api/kustomize/v1"
	fluxmeta "github.com/ferry-gitops/ferry/shared/api/meta"
)

// smallRepo writes a kustomization of five objects.
func smallRepo(tb testing.TB) string {
	tb.Helper()
	root := tb.TempDir()
	files := map[string]string{
		"app/kustomization.yaml": "resources: [deploy.yaml, svc.yaml, cm.yaml, sa.yaml, ns.yaml]\n",
		"app/deploy.yaml":        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  replicas: 2\n  selector:\n    matchLabels: {app: web}\n  template:\n    metadata:\n      labels: {app: web}\n    spec:\n      containers:\n      - name: web\n        image: nginx:1.25\n",
		"app/svc.yaml":           "apiVersion: v1\nkind: Service\nmetadata:\n  name: web\nspec:\n  selector: {app: web}\n  ports:\n  - port: 80\n",
		"app/cm.yaml":            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: web\ndata:\n  k: v\n",
		"app/sa.yaml":            "apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: web\n",
		"app/ns.yaml":            "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: web\n",
	}
	writeTreeTB(tb, root, files)
	return root
}

// largeRepo writes n plain manifests in nested directories, without a kustomization.
func largeRepo(tb testing.TB, n int) string {
	tb.Helper()
	root := tb.TempDir()
	files := map[string]string{}
	for i := range n {
		files[filepath.Join("app", fmt.Sprintf("d%02d", i%20), fmt.Sprintf("cm-%03d.yaml", i))] =
			fmt.Sprintf("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm-%03d\ndata:\n  k: v\n", i)
	}
	writeTreeTB(tb, root, files)
	return root
}

// benchSpec sets a few overlay fields, as most Kustomizations do.
var benchSpec = kustomizev1.KustomizationSpec{
	TargetNamespace: "bench",
	CommonMetadata:  &fluxmeta.CommonMetadata{Labels: map[string]string{"team": "bench"}},
}

func BenchmarkBuild(b *testing.B) {
	for _, bc := range []struct {
		name    string
		root    func(testing.TB) string
		objects int
	}{
		{"5-objects", smallRepo, 5},
		{"500-files", func(tb testing.TB) string { return largeRepo(tb, 500) }, 500},
	} {
		b.Run(bc.name, func(b *testing.B) {
			root := bc.root(b)
			b.ReportAllocs()
			for b.Loop() {
				objs, err := Build(&benchSpec, Options{Root: root, Path: "app", NoRemoteBases: true})
				if err != nil {
					b.Fatal(err)
				}
				if len(objs) != bc.objects {
					b.Fatalf("got %d objects, want %d", len(objs), bc.objects)
				}
			}
		})
	}
}

func TestBuildConcurrently(t *testing.T) {
	g := NewWithT(t)
	roots := []string{smallRepo(t), largeRepo(t, 40)}
	want := make([]int, len(roots))
	for i, root := range roots {
		objs, err := Build(&benchSpec, Options{Root: root, Path: "app"})
		g.Expect(err).NotTo(HaveOccurred())
		want[i] = len(objs)
	}
	var wg sync.WaitGroup
	errs := make(chan error, 16)
	for i := range 16 {
		wg.Go(func() {
			objs, err := Build(&benchSpec, Options{Root: roots[i%2], Path: "app"})
			if err == nil && len(objs) != want[i%2] {
				err = fmt.Errorf("got %d objects, want %d", len(objs), want[i%2])
			}
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		g.Expect(err).NotTo(HaveOccurred())
	}
}
