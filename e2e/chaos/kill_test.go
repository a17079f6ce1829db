package chaos

import (
	"context"
	"math/rand"
	"sort"
	"strings"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/ferry-gitops/ferry/shared/testing/testenv"
)

// victims are the controllers the workload runs through, one of which each kill hits.
var victims = []string{"source-controller", "kustomize-controller", "helm-controller"}

// TestChaosKillControllers is fault 1 of the chaos issue: while the workload is applied and
// then changed by a push (a third of the apps changed, files removed, a new chart version),
// a random controller is killed with SIGKILL at a random moment, and restarted after a
// random 0-3 s, again and again. After the last restart everything converges within one
// interval: every object in Git exists in the cluster once, every removed one is pruned,
// every inventory is exactly the cluster, no Helm release is left pending and no release
// revision is duplicated.
func TestChaosKillControllers(t *testing.T) {
	sz := runSize()
	rnd := newRand(t)
	ns := testenv.NewNamespace(t, env.Client)
	w := newWorkload(t, ns, sz)
	objs := w.objects(t)
	t.Logf("workload: %d Kustomizations x 5 objects, %d HelmReleases, %d kills", sz.Kustomizations, sz.HelmReleases, sz.Kills)
	apply(t, objs...)

	var head string
	for k := 0; k < sz.Kills; k++ {
		if k == sz.Kills/2 {
			head = w.push(t)
			requestReconcile(t, objs[0]) // the GitRepository, as a push webhook would
			requestReconcile(t, objs[1]) // the HelmRepository
			t.Logf("pushed %s and chart hello 1.1.0", head)
		}
		killOne(t, rnd, k)
	}
	last := time.Now()

	var took time.Duration
	NewWithT(t).Eventually(func(g Gomega) {
		expectConverged(g, ns, objs, sz, head)
		took = time.Since(last)
	}, reconcileInterval+time.Minute, poll).Should(Succeed(), "not converged within one interval of the last restart")
	t.Logf("converged %v after the last restart: %d Kustomizations, %d objects, %d HelmReleases checked; lost 0, orphaned 0, pending 0",
		took.Round(100*time.Millisecond), sz.Kustomizations, sz.Kustomizations*5-(sz.Kustomizations+2)/3, sz.HelmReleases)
}

// killOne waits a random moment (0-4 s), kills a random controller with SIGKILL, waits a
// random 0-3 s and starts it again.
func killOne(t *testing.T, rnd *rand.Rand, k int) {
	time.Sleep(time.Duration(rnd.Int63n(int64(4 * time.Second)))) // the random moment of the fault
	name := victims[rnd.Intn(len(victims))]
	down := time.Duration(rnd.Int63n(int64(3 * time.Second)))
	if err := controllers.Kill(name); err != nil {
		t.Fatal(err)
	}
	time.Sleep(down) // the time the controller stays dead, as a pod's restart delay
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if err := controllers.Restart(ctx, name); err != nil {
		t.Fatal(err)
	}
	t.Logf("kill %d: %s, down %v", k+1, name, down.Round(time.Millisecond))
}

// expectConverged checks the whole cluster against Git at head and the chart repository.
func expectConverged(g Gomega, ns string, objs []*unstructured.Unstructured, sz size, head string) {
	revision := "master@sha1:" + head
	src := get(g, objs[0])
	expectReady(g, src)
	got, _, _ := unstructured.NestedString(src.Object, "status", "artifact", "revision")
	g.Expect(got).To(Equal(revision), "GitRepository revision")
	for i := 0; i < sz.Kustomizations; i++ {
		expectKustomization(g, ns, objs[2+i], i, revision)
	}
	expectAppObjects(g, ns, sz, true)
	for _, o := range objs[2+sz.Kustomizations:] {
		cur := get(g, o)
		expectReady(g, cur)
		v, _, _ := unstructured.NestedString(cur.Object, "status", "lastAttemptedRevision")
		g.Expect(v).To(Equal("1.1.0"), "HelmRelease %s chart version", o.GetName())
	}
	expectReleases(g, ns, sz)
}

// expectKustomization checks that Kustomization i applied revision and that its inventory is
// exactly the objects of its directory at that revision.
func expectKustomization(g Gomega, ns string, o *unstructured.Unstructured, i int, revision string) {
	cur := get(g, o)
	expectReady(g, cur)
	applied, _, _ := unstructured.NestedString(cur.Object, "status", "lastAppliedRevision")
	g.Expect(applied).To(Equal(revision), "Kustomization %s", o.GetName())
	entries, _, _ := unstructured.NestedSlice(cur.Object, "status", "inventory", "entries")
	var ids []string
	for _, e := range entries {
		id, _ := e.(map[string]any)["id"].(string)
		ids = append(ids, id)
	}
	sort.Strings(ids)
	g.Expect(ids).To(Equal(expectedObjects(ns, i, changedApp(i))), "inventory of %s", o.GetName())
}

// expectAppObjects checks that the cluster holds exactly the apps' objects of Git, before or
// after the push: each once, changed data applied, removed ones pruned, nothing else
// labelled as theirs.
func expectAppObjects(g Gomega, ns string, sz size, pushed bool) {
	want := map[string]bool{}
	for i := 0; i < sz.Kustomizations; i++ {
		for _, id := range expectedObjects(ns, i, pushed && changedApp(i)) {
			want[id] = true
		}
	}
	have := map[string]bool{}
	owned := client.HasLabels{"kustomize.toolkit.fluxcd.io/name"}
	var cms corev1.ConfigMapList
	g.Expect(env.Client.List(context.Background(), &cms, client.InNamespace(ns), owned)).To(Succeed())
	for _, cm := range cms.Items {
		have[ns+"_"+cm.Name+"__ConfigMap"] = true
		if strings.HasSuffix(cm.Name, "-cm-0") {
			i := appIndex(cm.Name)
			wantRev := "1"
			if pushed && changedApp(i) {
				wantRev = "2"
			}
			g.Expect(cm.Data["rev"]).To(Equal(wantRev), "ConfigMap %s", cm.Name)
		}
	}
	deployments := &unstructured.UnstructuredList{}
	deployments.SetAPIVersion("apps/v1")
	deployments.SetKind("DeploymentList")
	g.Expect(env.Client.List(context.Background(), deployments, client.InNamespace(ns), owned)).To(Succeed())
	for _, d := range deployments.Items {
		have[ns+"_"+d.GetName()+"_apps_Deployment"] = true
	}
	g.Expect(have).To(Equal(want), "the objects in the cluster are exactly the ones in Git")
}

// appIndex is i of an object named app-<i>-....
func appIndex(name string) int {
	var i int
	for _, c := range strings.TrimPrefix(name, "app-")[:3] {
		i = i*10 + int(c-'0')
	}
	return i
}

// expectReleases checks Helm's own release records: per HelmRelease, exactly one deployed
// release, none pending, and no revision recorded twice.
func expectReleases(g Gomega, ns string, sz size) {
	var secrets corev1.SecretList
	g.Expect(env.Client.List(context.Background(), &secrets, client.InNamespace(ns), client.MatchingLabels{"owner": "helm"})).To(Succeed())
	deployed := map[string]int{}
	revisions := map[string]bool{}
	for _, s := range secrets.Items {
		name, status, version := s.Labels["name"], s.Labels["status"], s.Labels["version"]
		g.Expect(status).NotTo(HavePrefix("pending"), "release %s revision %s", name, version)
		g.Expect(revisions[name+"/"+version]).To(BeFalse(), "release %s revision %s recorded twice", name, version)
		revisions[name+"/"+version] = true
		if status == "deployed" {
			deployed[name]++
		}
	}
	g.Expect(deployed).To(HaveLen(sz.HelmReleases))
	for name, n := range deployed {
		g.Expect(n).To(Equal(1), "deployed revisions of %s", name)
	}
}
