package chart

import (
	"context"
	"strings"
	"testing"
	"time"

	"helm.sh/helm/v3/pkg/chart/loader"
	"helm.sh/helm/v3/pkg/chartutil"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	helmv2 "github.com/ferry-gitops/ferry/shared/api/helm/v2"
	fluxmeta "github.com/ferry-gitops/ferry/shared/api/meta"
	"github.com/ferry-gitops/ferry/shared/testing/artifactserver"
)

func TestDesiredHelmChart(t *testing.T) {
	hour := metav1.Duration{Duration: time.Hour}
	obj := &helmv2.HelmRelease{
		ObjectMeta: metav1.ObjectMeta{Name: "app", Namespace: "apps"},
		Spec: helmv2.HelmReleaseSpec{
			Interval: metav1.Duration{Duration: time.Minute},
			Chart: &helmv2.HelmChartTemplate{
				ObjectMeta: &helmv2.HelmChartTemplateObjectMeta{Labels: map[string]string{"a": "b"}},
				Spec: helmv2.HelmChartTemplateSpec{
					Chart:     "podinfo",
					SourceRef: helmv2.CrossNamespaceObjectReference{Kind: "HelmRepository", Name: "repo", Namespace: "flux-system"},
					Verify:    &helmv2.HelmChartTemplateVerification{Provider: "cosign"},
				},
			},
		},
	}
	tests := []struct {
		name   string
		mutate func(*helmv2.HelmRelease)
		check  func(t *testing.T, hcName, hcNamespace, version, strategy string, interval time.Duration, valuesFiles []string)
	}{
		{name: "defaults", check: func(t *testing.T, n, ns, v, s string, i time.Duration, vf []string) {
			if n != "apps-app" || ns != "flux-system" || v != "*" || s != "ChartVersion" || i != time.Minute || vf != nil {
				t.Fatalf("got %s/%s %s %s %s %v", ns, n, v, s, i, vf)
			}
		}},
		{name: "template settings", mutate: func(o *helmv2.HelmRelease) {
			o.Spec.Chart.Spec.Version = "1.x"
			o.Spec.Chart.Spec.ReconcileStrategy = "Revision"
			o.Spec.Chart.Spec.Interval = &hour
			o.Spec.Chart.Spec.ValuesFiles = []string{"a.yaml"}
			o.Spec.Chart.Spec.SourceRef.Namespace = ""
		}, check: func(t *testing.T, n, ns, v, s string, i time.Duration, vf []string) {
			if ns != "apps" || v != "1.x" || s != "Revision" || i != time.Hour || len(vf) != 1 || vf[0] != "a.yaml" {
				t.Fatalf("got %s/%s %s %s %s %v", ns, n, v, s, i, vf)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := obj.DeepCopy()
			if tt.mutate != nil {
				tt.mutate(o)
			}
			hc := DesiredHelmChart(o)
			tt.check(t, hc.Name, hc.Namespace, hc.Spec.Version, hc.Spec.ReconcileStrategy, hc.Spec.Interval.Duration, hc.Spec.ValuesFiles)
			if hc.Labels["a"] != "b" || hc.Spec.Verify == nil || hc.Spec.Verify.Provider != "cosign" {
				t.Fatalf("labels %v verify %v", hc.Labels, hc.Spec.Verify)
			}
			existing := hc.DeepCopy()
			existing.Labels["other"] = "kept"
			if Sync(existing, hc) {
				t.Fatal("Sync changed an up-to-date HelmChart")
			}
			desired := hc.DeepCopy()
			desired.Spec.Version = "2.0.0"
			if !Sync(existing, desired) || existing.Spec.Version != "2.0.0" || existing.Labels["other"] != "kept" {
				t.Fatalf("Sync did not update the spec only: %+v", existing)
			}
		})
	}
}

func publish(t *testing.T, srv *artifactserver.Server) (dirArt, tgzArt fluxmeta.Artifact) {
	t.Helper()
	dirArt, err := srv.ArtifactFromDir("dir/hello", "testdata/hello", "0.1.0")
	if err != nil {
		t.Fatal(err)
	}
	c, err := loader.LoadDir("testdata/hello")
	if err != nil {
		t.Fatal(err)
	}
	pkg, err := chartutil.Save(c, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	if tgzArt, err = srv.ArtifactFromFile("helmchart/hello-0.1.0.tgz", pkg, "0.1.0"); err != nil {
		t.Fatal(err)
	}
	return dirArt, tgzArt
}

func TestLoader(t *testing.T) {
	srv, err := artifactserver.New()
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	dirArt, tgzArt := publish(t, srv)
	l := &Loader{Size: 1}
	ctx := context.Background()
	for _, art := range []*fluxmeta.Artifact{&dirArt, &tgzArt} {
		c, err := l.Load(ctx, art)
		if err != nil {
			t.Fatal(err)
		}
		if c.Name() != "hello" || c.Values["message"] != "hello" || len(c.Templates) != 1 {
			t.Fatalf("loaded %s %v %d templates", c.Name(), c.Values, len(c.Templates))
		}
	}
	before := srv.Downloads()
	a, err := l.Load(ctx, &tgzArt)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := l.Load(ctx, &tgzArt)
	if srv.Downloads() != before {
		t.Fatal("a cached artifact was downloaded again")
	}
	if a == b || a.Metadata == b.Metadata {
		t.Fatal("two loads share one chart")
	}
	if _, err := l.Load(ctx, &dirArt); err != nil || srv.Downloads() != before+1 {
		t.Fatalf("evicted artifact: err %v, downloads %d", err, srv.Downloads()-before)
	}

	bad := tgzArt
	bad.Digest = "sha256:" + strings.Repeat("0", 64)
	if _, err := l.Load(ctx, &bad); err == nil || !strings.Contains(err.Error(), "failed to fetch chart artifact 0.1.0") {
		t.Fatalf("error = %v", err)
	}
	notChart, err := srv.ArtifactFromFiles("other", map[string]string{"a/b.txt": "x"}, "rev")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := l.Load(ctx, &notChart); err == nil || !strings.Contains(err.Error(), "no Chart.yaml") {
		t.Fatalf("error = %v", err)
	}
}

func TestOCIDigest(t *testing.T) {
	hex := "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
	tests := []struct{ revision, digest, version, want string }{
		{revision: "1.0.0@sha256:" + hex, digest: "sha256:" + hex, version: "1.0.0", want: "1.0.0+0123456789ab"},
		{revision: "sha256:" + hex, digest: "sha256:" + hex, version: "1.0.0+build", want: "1.0.0+build.0123456789ab"},
		{revision: "1.0.0", digest: "", version: "1.0.0", want: "1.0.0"},
	}
	for _, tt := range tests {
		t.Run(tt.revision, func(t *testing.T) {
			d := OCIDigest(tt.revision)
			if d != tt.digest {
				t.Fatalf("OCIDigest = %q", d)
			}
			c, err := loader.LoadDir("testdata/hello")
			if err != nil {
				t.Fatal(err)
			}
			c.Metadata.Version = tt.version
			if got := AddOCIDigest(c, d); got != tt.want || c.Metadata.Version != tt.want {
				t.Fatalf("AddOCIDigest = %q, want %q", got, tt.want)
			}
		})
	}
}
