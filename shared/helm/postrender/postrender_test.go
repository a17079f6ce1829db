package postrender

import (
	"bytes"
	"strings"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	helmv2 "github.com/ferry-gitops/ferry/shared/api/helm/v2"
	fluxmeta "github.com/ferry-gitops/ferry/shared/api/meta"
)

const manifests = `---
# Source: app/templates/deployment.yaml
apiVersion: apps/v1
kind: Deployment
metadata:
  name: app
spec:
  replicas: 1
  selector:
    matchLabels:
      app: app
  template:
    metadata:
      labels:
        app: app
    spec:
      containers:
      - name: app
        image: nginx:1.0
---
apiVersion: v1
kind: Service
metadata:
  name: app
spec:
  selector:
    app: app
  ports:
  - port: 80
`

func release(prs []helmv2.PostRenderer, cm *fluxmeta.CommonMetadata) *helmv2.HelmRelease {
	return &helmv2.HelmRelease{
		ObjectMeta: metav1.ObjectMeta{Name: "rel", Namespace: "ns"},
		Spec:       helmv2.HelmReleaseSpec{PostRenderers: prs, CommonMetadata: cm},
	}
}

func TestBuild(t *testing.T) {
	tests := []struct {
		name    string
		prs     []helmv2.PostRenderer
		cm      *fluxmeta.CommonMetadata
		want    []string
		notWant []string
		wantErr string
	}{
		{
			name: "origin labels only",
			want: []string{"helm.toolkit.fluxcd.io/name: rel", "helm.toolkit.fluxcd.io/namespace: ns", "image: nginx:1.0"},
		},
		{
			name: "strategic merge patch and image",
			prs: []helmv2.PostRenderer{{Kustomize: &helmv2.Kustomize{
				Patches: []fluxmeta.Patch{{Patch: "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: app\nspec:\n  replicas: 3\n"}},
				Images:  []fluxmeta.Image{{Name: "nginx", NewTag: "2.0"}},
			}}},
			want:    []string{"replicas: 3", "image: nginx:2.0"},
			notWant: []string{"replicas: 1"},
		},
		{
			name: "json6902 patch with a target, then a second renderer",
			prs: []helmv2.PostRenderer{
				{Kustomize: &helmv2.Kustomize{Patches: []fluxmeta.Patch{{
					Patch:  `[{"op":"add","path":"/metadata/annotations","value":{"patched":"yes"}}]`,
					Target: &fluxmeta.Selector{Kind: "Service", Name: "app"},
				}}}},
				{Kustomize: &helmv2.Kustomize{Images: []fluxmeta.Image{{Name: "nginx", NewName: "registry.local/nginx"}}}},
			},
			want: []string{"patched: \"yes\"", "image: registry.local/nginx:1.0"},
		},
		{
			name: "common metadata",
			cm:   &fluxmeta.CommonMetadata{Labels: map[string]string{"team": "a"}, Annotations: map[string]string{"owner": "b"}},
			want: []string{"team: a", "owner: b"},
		},
		{
			name:    "patch of a missing target",
			prs:     []helmv2.PostRenderer{{Kustomize: &helmv2.Kustomize{Patches: []fluxmeta.Patch{{Patch: "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: nope\ndata:\n  a: b\n"}}}}},
			wantErr: "failed to post-render with kustomize",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := Build(release(tt.prs, tt.cm)).Run(bytes.NewBufferString(manifests))
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			s := strings.ReplaceAll(out.String(), "'", "") // kyaml quotes the values it sets
			for _, w := range tt.want {
				if !strings.Contains(s, w) {
					t.Errorf("output lacks %q:\n%s", w, s)
				}
			}
			for _, w := range tt.notWant {
				if strings.Contains(s, w) {
					t.Errorf("output has %q:\n%s", w, s)
				}
			}
			if strings.Count(s, "helm.toolkit.fluxcd.io/name: rel") != 2 {
				t.Errorf("origin label not on both objects:\n%s", s)
			}
		})
	}
}

func TestDigest(t *testing.T) {
	var none []helmv2.PostRenderer
	if Digest(none) != "" || Digest([]helmv2.PostRenderer{}) != "" || Digest((*fluxmeta.CommonMetadata)(nil)) != "" {
		t.Fatal("empty post-renderers must have no digest")
	}
	a := Digest([]helmv2.PostRenderer{{Kustomize: &helmv2.Kustomize{Images: []fluxmeta.Image{{Name: "a", NewTag: "1"}}}}})
	b := Digest([]helmv2.PostRenderer{{Kustomize: &helmv2.Kustomize{Images: []fluxmeta.Image{{Name: "a", NewTag: "2"}}}}})
	if a == "" || a == b || !strings.HasPrefix(a, "sha256:") {
		t.Fatalf("digests %q and %q", a, b)
	}
}
