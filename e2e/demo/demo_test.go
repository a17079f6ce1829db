package demo

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	appsv1 "k8s.io/api/apps/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/ferry-gitops/ferry/e2e/fleet"
	helmv2 "github.com/ferry-gitops/ferry/shared/api/helm/v2"
	imagev1 "github.com/ferry-gitops/ferry/shared/api/image/v1"
	kustomizev1 "github.com/ferry-gitops/ferry/shared/api/kustomize/v1"
	fluxmeta "github.com/ferry-gitops/ferry/shared/api/meta"
	sourcev1 "github.com/ferry-gitops/ferry/shared/api/source/v1"
	"github.com/ferry-gitops/ferry/shared/runtime/conditions"
	"github.com/ferry-gitops/ferry/shared/testing/testenv"
)

const (
	repoRoot = "../.."
	// timeout bounds each wait: a rollout through Git, the fleet and KWOK.
	timeout = 90 * time.Second
)

var (
	env         *testenv.Env
	controllers *fleet.Fleet
)

func TestMain(m *testing.M) {
	os.Exit(fleet.RunSuite(m, repoRoot, func(e *testenv.Env, f *fleet.Fleet) { env, controllers = e, f }))
}

// TestDemo runs what make run shows: the demo world becomes Ready with its Deployments
// rolled out, a replicas change pushed to the demo's Git server reaches the cluster, and a
// new tag of my-app in the demo's registry ends, through a commit of the automation, as the
// image the production Deployment runs.
func TestDemo(t *testing.T) {
	g := NewWithT(t)
	dumpLogsOnFailure(t)
	w, err := Start(Options{Testdata: "../testdata", Dir: t.TempDir()})
	g.Expect(err).NotTo(HaveOccurred())
	t.Cleanup(func() { g.Expect(w.Stop()).To(Succeed()) })
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	g.Expect(w.Apply(ctx, env.Client)).To(Succeed())
	g.Expect(w.WaitReady(ctx, env.Client, testWriter{t})).To(Succeed())

	objs := w.current(t)
	g.Expect(ObjectStatus(objs["HelmRelease"]).Revision).To(Equal("1.1.0"), "1.x must pick the last version")
	g.Expect(replicas(t, Deployments[1])).To(BeEquivalentTo(3), "the production overlay patches replicas to 3")
	g.Expect(replicas(t, Deployments[2])).To(BeEquivalentTo(2), "the HelmRelease's values set replicaCount 2")

	work := filepath.Join(t.TempDir(), "demo")
	mustGit(t, "", "clone", "-q", w.RepoURL, work)
	g.Expect(mustGit(t, work, "log", "-1", "--format=%an <%ae>")).To(Equal(Author))
	app := filepath.Join(work, "apps", "my-app", "my-app.yaml")
	data, err := os.ReadFile(app)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(os.WriteFile(app, []byte(strings.Replace(string(data), "replicas: 2", "replicas: 3", 1)), 0o644)).To(Succeed())
	mustGit(t, work, "commit", "-q", "-am", "my-app: 3 replicas")
	mustGit(t, work, "push", "-q", "origin", "master")
	head := mustGit(t, work, "rev-parse", "HEAD")

	g.Eventually(func(g Gomega) {
		ks := &unstructured.Unstructured{}
		ks.SetGroupVersionKind(objs["Kustomization"].GroupVersionKind())
		g.Expect(env.Client.Get(ctx, client.ObjectKey{Namespace: FleetNamespace, Name: "my-apps"}, ks)).To(Succeed())
		g.Expect(ObjectStatus(ks).Revision).To(Equal("master@sha1:" + head))
		d := &appsv1.Deployment{}
		g.Expect(env.Client.Get(ctx, Deployments[0], d)).To(Succeed())
		g.Expect(d.Spec.Replicas).To(HaveValue(BeEquivalentTo(3)))
		g.Expect(DeploymentAvailable(d)).To(BeTrue())
	}, timeout, pollInterval).Should(Succeed())
	w.current(t)
	imageLoop(t, w, objs["ImageRepository"])
}

// imageLoop tags my-app v1.2.4 in the demo's registry and asks the ImageRepository to scan,
// as the demo tells the user to: the automation's commit reaches the production Deployment.
func imageLoop(t *testing.T, w *World, repo *unstructured.Unstructured) {
	g := NewWithT(t)
	g.Expect(w.Tag("v1.2.4")).To(Succeed())
	patch := client.RawPatch(types.MergePatchType, []byte(`{"metadata":{"annotations":{"reconcile.fluxcd.io/requestedAt":"now"}}}`))
	g.Expect(env.Client.Patch(context.Background(), repo.DeepCopy(), patch)).To(Succeed())
	g.Eventually(func(g Gomega) {
		d := &appsv1.Deployment{}
		g.Expect(env.Client.Get(context.Background(), Deployments[1], d)).To(Succeed())
		g.Expect(d.Spec.Template.Spec.Containers[0].Image).To(Equal(w.Image + ":v1.2.4"))
		g.Expect(DeploymentAvailable(d)).To(BeTrue())
	}, timeout, pollInterval).Should(Succeed())
	work := filepath.Join(t.TempDir(), "after")
	mustGit(t, "", "clone", "-q", w.RepoURL, work)
	g.Expect(mustGit(t, work, "log", "-1", "--format=%an: %s")).To(Equal("fluxcdbot: chore: update my-app to " + w.Image + ":v1.2.4"))
	w.current(t)
}

// current reads every demo object, checks the kstatus invariants of its conditions and
// returns the last one of each kind.
func (w *World) current(t *testing.T) map[string]*unstructured.Unstructured {
	t.Helper()
	byKind := map[string]*unstructured.Unstructured{}
	for _, o := range w.Objects {
		cur := &unstructured.Unstructured{}
		cur.SetGroupVersionKind(o.GroupVersionKind())
		if err := env.Client.Get(context.Background(), client.ObjectKeyFromObject(o), cur); err != nil {
			t.Fatal(err)
		}
		typed := map[string]fluxmeta.StatusObject{"GitRepository": &sourcev1.GitRepository{},
			"HelmRepository": &sourcev1.HelmRepository{}, "Kustomization": &kustomizev1.Kustomization{},
			"HelmRelease": &helmv2.HelmRelease{}, "ImageRepository": &imagev1.ImageRepository{},
			"ImagePolicy": &imagev1.ImagePolicy{}, "ImageUpdateAutomation": &imagev1.ImageUpdateAutomation{}}[o.GetKind()]
		if err := runtime.DefaultUnstructuredConverter.FromUnstructured(cur.Object, typed); err != nil {
			t.Fatal(err)
		}
		if err := conditions.CheckInvariants(typed); err != nil {
			t.Errorf("%s %s: %v", o.GetKind(), o.GetName(), err)
		}
		byKind[o.GetKind()] = cur
	}
	return byKind
}

func replicas(t *testing.T, key client.ObjectKey) int32 {
	t.Helper()
	d := &appsv1.Deployment{}
	if err := env.Client.Get(context.Background(), key, d); err != nil {
		t.Fatal(err)
	}
	return *d.Spec.Replicas
}

func mustGit(t *testing.T, dir string, args ...string) string {
	t.Helper()
	if dir == "" {
		dir = t.TempDir()
	}
	out, err := git(dir, args...)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// dumpLogsOnFailure prints the end of every controller's log when t fails.
func dumpLogsOnFailure(t *testing.T) {
	t.Cleanup(func() {
		if !t.Failed() {
			return
		}
		for _, p := range controllers.Processes {
			data, _ := os.ReadFile(p.LogPath)
			lines := strings.Split(strings.TrimRight(string(data), "\n"), "\n")
			t.Logf("=== last lines of %s:\n%s", p.Name, strings.Join(lines[max(0, len(lines)-40):], "\n"))
		}
	})
}

// testWriter sends WaitReady's progress to the test log.
type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}
