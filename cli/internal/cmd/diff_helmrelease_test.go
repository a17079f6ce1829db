package cmd_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"helm.sh/helm/v3/pkg/chart/loader"
	"helm.sh/helm/v3/pkg/release"
	"helm.sh/helm/v3/pkg/storage/driver"
	corev1 "k8s.io/api/core/v1"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/ferry-gitops/ferry/cli/internal/cmd"
	helmv2 "github.com/ferry-gitops/ferry/shared/api/helm/v2"
	sourcev1 "github.com/ferry-gitops/ferry/shared/api/source/v1"
	"github.com/ferry-gitops/ferry/shared/testing/testenv"
)

// chartDir writes a chart whose one ConfigMap shows two values.
func chartDir(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	for name, content := range map[string]string{
		"Chart.yaml":            "apiVersion: v2\nname: web\nversion: 1.0.0\n",
		"values.yaml":           "replicas: 1\ngreeting: hello\n",
		"templates/config.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Release.Name }}-config\ndata:\n  replicas: {{ .Values.replicas | quote }}\n  greeting: {{ .Values.greeting }}\n",
	} {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func TestDiffHelmRelease(t *testing.T) {
	ns := testenv.NewNamespace(t, env.Client)
	dir := chartDir(t)
	hr := &helmv2.HelmRelease{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "web"}}
	hr.Spec.Interval = metav1.Duration{Duration: time.Minute}
	hr.Spec.ChartRef = &helmv2.CrossNamespaceSourceReference{Kind: sourcev1.OCIRepositoryKind, Name: "web"}
	hr.Spec.Values = &apiextensionsv1.JSON{Raw: []byte(`{"replicas":3}`)}
	hr.Spec.ValuesFrom = []helmv2.ValuesReference{{Kind: "ConfigMap", Name: "extra"}}
	create(t, hr)
	create(t, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "extra"}, Data: map[string]string{"values.yaml": "greeting: hi\n"}})
	labels := map[string]string{helmv2.NameLabel: "web", helmv2.NamespaceLabel: ns}
	create(t, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "web-config", Labels: labels},
		Data: map[string]string{"replicas": "1", "greeting": "hello"}})

	if res := ferry(t, "diff", "hr", "web", "-n", ns); res.runErr == nil || !strings.Contains(res.runErr.Error(), "has no release yet") {
		t.Errorf("diff without a release nor --chart-path: %v", res.runErr)
	}
	want := "data.greeting\n  ± value change\n    - hello\n    + hi\ndata.replicas\n  ± value change\n    - 1\n    + 3\n"
	res := ferry(t, "diff", "helmrelease", "web", "-n", ns, "--chart-path", dir)
	if !errors.Is(res.runErr, cmd.ErrDiffers) || res.out != want || !strings.Contains(res.err, "► ConfigMap/"+ns+"/web-config drifted") {
		t.Errorf("diff --chart-path: %v\n%s%s", res.runErr, res.out, res.err)
	}

	// The release Helm recorded, as helm-controller leaves it.
	chrt, err := loader.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	cs := kubernetes.NewForConfigOrDie(env.Config)
	rel := &release.Release{Name: "web", Namespace: ns, Version: 1, Chart: chrt, Info: &release.Info{Status: release.StatusDeployed}}
	if err := driver.NewSecrets(cs.CoreV1().Secrets(ns)).Create("sh.helm.release.v1.web.v1", rel); err != nil {
		t.Fatal(err)
	}
	setStatus(t, hr, func(obj *helmv2.HelmRelease) {
		obj.Status.History = helmv2.Snapshots{{Name: "web", Namespace: ns, Version: 1, Status: "deployed", ChartName: "web",
			ChartVersion: "1.0.0", ConfigDigest: "sha256:abcd", FirstDeployed: metav1.Now(), LastDeployed: metav1.Now()}}
	})
	res = ferry(t, "diff", "hr", "web", "-n", ns)
	if !errors.Is(res.runErr, cmd.ErrDiffers) || res.out != want {
		t.Errorf("diff from the release record: %v\n%s", res.runErr, res.out)
	}
	if err := env.Client.Delete(context.Background(), &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "extra"}}); err != nil {
		t.Fatal(err)
	}
	if res := ferry(t, "diff", "hr", "web", "-n", ns); res.runErr == nil || !strings.Contains(res.runErr.Error(), "could not find ConfigMap 'extra' referenced in spec.valuesFrom") {
		t.Errorf("diff with a missing valuesFrom: %v", res.runErr)
	}
}
