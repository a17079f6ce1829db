package chaos

import (
	"context"
	"testing"
	"time"

	. "github.com/onsi/gomega"

	"github.com/ferry-gitops/ferry/shared/testing/testenv"
)

// TestChaosAPIServerRestart is fault 2 of the chaos issue: the kube-apiserver is killed with
// SIGKILL in the middle of reconciles and started again on the same etcd. The controllers
// reconnect without a restart of their own (the same processes run throughout) and the
// workload converges, including a push made while the API server was down.
func TestChaosAPIServerRestart(t *testing.T) {
	ns := testenv.NewNamespace(t, env.Client)
	sz := size{Kustomizations: 10, HelmReleases: 2}
	w := newWorkload(t, ns, sz)
	objs := w.objects(t)
	pids := map[string]int{}
	for _, p := range controllers.Processes {
		pids[p.Name] = p.PID()
	}
	apply(t, objs...)

	time.Sleep(2 * time.Second) // the moment of the fault: reconciles are under way
	restart, err := env.KillAPIServer()
	if err != nil {
		t.Fatal(err)
	}
	head := w.push(t)
	time.Sleep(3 * time.Second) // the time the API server stays away
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if err := restart(ctx); err != nil {
		t.Fatal(err)
	}
	back := time.Now()
	t.Logf("kube-apiserver killed 2 s into the workload and back after 3 s; pushed %s meanwhile", head[:12])
	requestReconcile(t, objs[0]) // the push's webhook, which could not reach the cluster
	requestReconcile(t, objs[1])

	NewWithT(t).Eventually(func(g Gomega) {
		expectConverged(g, ns, objs, sz, head)
	}, reconcileInterval+time.Minute, poll).Should(Succeed())
	for _, p := range controllers.Processes {
		if p.PID() != pids[p.Name] || !p.Running() {
			t.Errorf("%s exited or restarted (pid %d, was %d)", p.Name, p.PID(), pids[p.Name])
		}
	}
	t.Logf("converged %v after the API server came back, no controller restarted", time.Since(back).Round(100*time.Millisecond))
}
