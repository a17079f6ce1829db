package cmd_test

import (
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	helmv2 "github.com/ferry-gitops/ferry/shared/api/helm/v2"
	kustomizev1 "github.com/ferry-gitops/ferry/shared/api/kustomize/v1"
	fluxmeta "github.com/ferry-gitops/ferry/shared/api/meta"
	sourcev1 "github.com/ferry-gitops/ferry/shared/api/source/v1"
	"github.com/ferry-gitops/ferry/shared/runtime/conditions"
	"github.com/ferry-gitops/ferry/shared/testing/testenv"
)

// inventory returns an inventory of the given ids, all of version v1.
func inventory(ids ...string) *fluxmeta.ResourceInventory {
	inv := &fluxmeta.ResourceInventory{}
	for _, id := range ids {
		inv.Entries = append(inv.Entries, fluxmeta.ResourceRef{ID: id, Version: "v1"})
	}
	return inv
}

// pipeline creates a GitRepository repo, a Kustomization root that applied the
// Kustomization apps, which applied the HelmRelease web and a Deployment, which carries the
// Kustomization's labels; the HelmRelease applied a Service.
func pipeline(t *testing.T, ns string) {
	t.Helper()
	repo := gitRepository(ns, "repo")
	create(t, repo)
	setStatus(t, repo, func(obj *sourcev1.GitRepository) {
		storeArtifact("main@sha1:c0ffee")(obj)
		size := int64(3 * 1024)
		obj.Status.Artifact.Size = &size
	})
	root, apps := kustomization(ns, "root", "repo"), kustomization(ns, "apps", "repo")
	root.Spec.Path, apps.Spec.Path = "./clusters/prod", "./apps"
	create(t, root)
	create(t, apps)
	hr := &helmv2.HelmRelease{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "web"}}
	hr.Spec.Interval = metav1.Duration{Duration: time.Minute}
	hr.Spec.ChartRef = &helmv2.CrossNamespaceSourceReference{Kind: sourcev1.OCIRepositoryKind, Name: "web"}
	create(t, hr)
	setStatus(t, root, func(obj *kustomizev1.Kustomization) {
		obj.Status.Inventory = inventory("_"+ns+"__Namespace", ns+"_apps_kustomize.toolkit.fluxcd.io_Kustomization")
		obj.Status.LastAppliedRevision = "main@sha1:c0ffee"
		conditions.MarkTrue(obj, fluxmeta.ReadyCondition, fluxmeta.SucceededReason, "Applied revision: main@sha1:c0ffee")
	})
	setStatus(t, apps, func(obj *kustomizev1.Kustomization) {
		obj.Status.Inventory = inventory(ns+"_web_helm.toolkit.fluxcd.io_HelmRelease", ns+"_web_apps_Deployment")
		obj.Status.LastAppliedRevision = "main@sha1:c0ffee"
		conditions.MarkTrue(obj, fluxmeta.ReadyCondition, fluxmeta.SucceededReason, "Applied revision: main@sha1:c0ffee")
	})
	setStatus(t, hr, func(obj *helmv2.HelmRelease) {
		obj.Status.Inventory = inventory(ns + "_web__Service")
		conditions.MarkFalse(obj, fluxmeta.ReadyCondition, "InstallFailed", "Helm install failed")
	})
	labels := map[string]string{"app": "web", kustomizev1.NameLabel: "apps", kustomizev1.NamespaceLabel: ns}
	dep := &appsv1.Deployment{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "web", Labels: labels}}
	dep.Spec.Selector = &metav1.LabelSelector{MatchLabels: map[string]string{"app": "web"}}
	dep.Spec.Template.Labels = map[string]string{"app": "web"}
	dep.Spec.Template.Spec.Containers = []corev1.Container{{Name: "web", Image: "nginx:1.25.0"}}
	create(t, dep)
}

func TestTreeTraceStats(t *testing.T) {
	ns := testenv.NewNamespace(t, env.Client)
	pipeline(t, ns)

	res := ferry(t, "tree", "kustomization", "root", "-n", ns)
	want := strings.Join([]string{
		"Kustomization/" + ns + "/root",
		"├── Namespace/" + ns,
		"└── Kustomization/" + ns + "/apps",
		"    ├── HelmRelease/" + ns + "/web",
		"    │   └── Service/" + ns + "/web",
		"    └── Deployment/" + ns + "/web",
		""}, "\n")
	if res.runErr != nil || res.out != want {
		t.Errorf("tree printed\n%s\nwant\n%s(%v)", res.out, want, res.runErr)
	}

	res = ferry(t, "trace", "deployment/web", "-n", ns)
	for _, line := range []string{
		"Object:        Deployment/web", "Status:        Managed by Ferry",
		"Kustomization: apps", "Path:          ./apps", "Revision:      main@sha1:c0ffee",
		"GitRepository: repo", "URL:           https://git.example.com/repo",
		"Message:       stored artifact for revision 'main@sha1:c0ffee'",
	} {
		if !strings.Contains(res.out, line) {
			t.Errorf("trace lacks %q:\n%s", line, res.out)
		}
	}
	res = ferry(t, "trace", "web", "--kind", "Deployment", "--api-version", "apps/v1", "-n", ns)
	if res.runErr != nil || !strings.Contains(res.out, "Kustomization: apps") {
		t.Errorf("trace --kind: %v", res.runErr)
	}
	create(t, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "manual"}})
	if res := ferry(t, "trace", "configmap/manual", "-n", ns); res.runErr == nil || !strings.Contains(res.out, "Unmanaged") {
		t.Errorf("trace of an unmanaged object: %v\n%s", res.runErr, res.out)
	}

	res = ferry(t, "stats", "-n", ns)
	for _, row := range []string{
		"RECONCILERS             RUNNING   FAILING   SUSPENDED   STORAGE",
		"GitRepository           1         0         0           3.0 KiB",
		"Kustomization           2         0         0           -",
		"HelmRelease             1         1         0           -",
	} {
		if !strings.Contains(res.out, row) {
			t.Errorf("stats lacks %q:\n%s", row, res.out)
		}
	}
}

func TestCompletion(t *testing.T) {
	for _, shell := range []string{"bash", "zsh", "fish", "powershell"} {
		res := ferry(t, "completion", shell)
		if res.runErr != nil || !strings.Contains(res.out, "ferry") {
			t.Errorf("completion %s: %v", shell, res.runErr)
		}
	}
}
