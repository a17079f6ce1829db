package testenv

import (
	"context"
	"os"
	"path/filepath"
	"runtime"
	"syscall"
	"testing"
	"time"

	"github.com/go-logr/logr"
	. "github.com/onsi/gomega"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/discovery"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"
	ctrllog "sigs.k8s.io/controller-runtime/pkg/log"
)

func TestMain(m *testing.M) {
	ctrllog.SetLogger(logr.Discard())
	os.Exit(m.Run())
}

func TestVersionsMatchBuildScript(t *testing.T) {
	g := NewWithT(t)
	script, err := BuildScript()
	g.Expect(err).NotTo(HaveOccurred())
	data, err := os.ReadFile(script)
	g.Expect(err).NotTo(HaveOccurred())
	for name, version := range map[string]string{
		"ETCD_VERSION": EtcdVersion,
		"KUBE_VERSION": KubernetesVersion,
		"KWOK_VERSION": KWOKVersion,
	} {
		g.Expect(string(data)).To(ContainSubstring("readonly "+name+"="+version+"\n"), name)
	}
}

func TestPlain(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a control plane")
	}
	g := NewWithT(t)
	start := time.Now()
	env, err := Start(Options{})
	g.Expect(err).NotTo(HaveOccurred())
	t.Logf("plain environment started in %s", time.Since(start).Round(time.Millisecond))
	// Cleanups run last-in first-out: the namespace goes before the server.
	t.Cleanup(func() {
		g.Expect(env.Stop()).To(Succeed())
		g.Expect(liveChildren(t)).To(BeEmpty())
	})

	info, err := discovery.NewDiscoveryClientForConfigOrDie(env.Config).ServerVersion()
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(info.GitVersion).To(Equal("v" + KubernetesVersion))
	g.Expect(env.Kubeconfig).To(BeAnExistingFile())

	ctx := context.Background()
	ns := NewNamespace(t, env.Client)
	g.Expect(ns).To(HavePrefix("testplain-"))
	want := &corev1.ConfigMap{
		ObjectMeta: metav1.ObjectMeta{Name: "settings", Namespace: ns},
		Data:       map[string]string{"answer": "42"},
	}
	g.Expect(env.Client.Create(ctx, want)).To(Succeed())
	var got corev1.ConfigMap
	g.Expect(env.Client.Get(ctx, client.ObjectKeyFromObject(want), &got)).To(Succeed())
	g.Expect(got.Data).To(Equal(want.Data))
}

func TestStartFailsOnMissingCRDPath(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a control plane")
	}
	g := NewWithT(t)
	env, err := Start(Options{
		CRDDirectoryPaths:     []string{filepath.Join(t.TempDir(), "missing")},
		ErrorIfCRDPathMissing: true,
	})
	g.Expect(err).To(HaveOccurred())
	g.Expect(env).To(BeNil())
	g.Expect(liveChildren(t)).To(BeEmpty(), "the failed start must stop what it started")
}

func TestWorkloads(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a full control plane")
	}
	g := NewWithT(t)
	start := time.Now()
	env, err := Start(Options{Workloads: true})
	g.Expect(err).NotTo(HaveOccurred())
	t.Logf("full environment started in %s", time.Since(start).Round(time.Millisecond))
	pids := make([]int, 0, len(env.procs))
	for _, p := range env.procs {
		pids = append(pids, p.pid())
	}
	t.Cleanup(func() {
		start := time.Now()
		g.Expect(env.Stop()).To(Succeed())
		t.Logf("full environment stopped in %s", time.Since(start).Round(time.Millisecond))
		g.Expect(liveChildren(t)).To(BeEmpty())
		for _, pid := range pids {
			g.Expect(processExists(pid)).To(BeFalse(), "pid %d", pid)
		}
	})
	g.Expect(pids).To(HaveLen(3))

	ctx := context.Background()
	ns := NewNamespace(t, env.Client)
	deploy := testDeployment(ns)
	g.Expect(env.Client.Create(ctx, deploy)).To(Succeed())
	rollout := time.Now()
	g.Eventually(func(g Gomega) {
		g.Expect(env.Client.Get(ctx, client.ObjectKeyFromObject(deploy), deploy)).To(Succeed())
		g.Expect(deploy.Status.AvailableReplicas).To(Equal(int32(2)))
		g.Expect(deploymentAvailable(deploy)).To(BeTrue())
	}, RolloutTimeout, Interval).Should(Succeed())
	t.Logf("deployment available in %s", time.Since(rollout).Round(time.Millisecond))

	var pods corev1.PodList
	g.Expect(env.Client.List(ctx, &pods, client.InNamespace(ns))).To(Succeed())
	for _, pod := range pods.Items {
		g.Expect(pod.Spec.NodeName).To(Equal(FakeNodeName))
		g.Expect(pod.Status.Phase).To(Equal(corev1.PodRunning))
	}
}

// testDeployment returns a two-replica Deployment in ns.
func testDeployment(ns string) *appsv1.Deployment {
	labels := map[string]string{"app": "web"}
	return &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Name: "web", Namespace: ns},
		Spec: appsv1.DeploymentSpec{
			Replicas: ptr.To[int32](2),
			Selector: &metav1.LabelSelector{MatchLabels: labels},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: labels},
				Spec: corev1.PodSpec{Containers: []corev1.Container{{
					Name:  "web",
					Image: "registry.example/web:1.0",
				}}},
			},
		},
	}
}

// deploymentAvailable reports whether the Deployment's Available condition
// is True for its current generation.
func deploymentAvailable(d *appsv1.Deployment) bool {
	if d.Status.ObservedGeneration != d.Generation {
		return false
	}
	for _, c := range d.Status.Conditions {
		if c.Type == appsv1.DeploymentAvailable {
			return c.Status == corev1.ConditionTrue
		}
	}
	return false
}

// liveChildren returns the pids of this process's live children.
func liveChildren(t *testing.T) []int {
	t.Helper()
	if runtime.GOOS != "linux" {
		t.Skip("needs /proc")
	}
	pids, err := childPIDs()
	if err != nil {
		t.Fatal(err)
	}
	return pids
}

// processExists reports whether a process, zombie or not, has this pid.
func processExists(pid int) bool {
	return syscall.Kill(pid, 0) == nil
}
