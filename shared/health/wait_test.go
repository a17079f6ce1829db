package health

import (
	"context"
	"errors"
	"flag"
	"os"
	"strings"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/utils/ptr"

	fluxmeta "github.com/ferry-gitops/ferry/shared/api/meta"
	"github.com/ferry-gitops/ferry/shared/testing/testenv"
)

// env is the full control plane the Wait tests run against; nil with -short,
// which runs only the pure tests.
var env *testenv.Env

func TestMain(m *testing.M) {
	flag.Parse()
	if testing.Short() {
		os.Exit(m.Run())
	}
	os.Exit(testenv.Run(m, testenv.Options{
		Workloads: true,
		Setup:     func(e *testenv.Env) error { env = e; return nil },
	}))
}

// needEnv returns the environment, skipping only under -short.
func needEnv(t *testing.T) *testenv.Env {
	t.Helper()
	if env == nil {
		t.Skip("needs the control plane; run without -short")
	}
	return env
}

// deploymentIn returns a Deployment named name in ns with replicas replicas.
func deploymentIn(ns, name string, replicas int32) *appsv1.Deployment {
	labels := map[string]string{"app": name}
	return &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns},
		Spec: appsv1.DeploymentSpec{
			Replicas: ptr.To(replicas),
			Selector: &metav1.LabelSelector{MatchLabels: labels},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: labels},
				Spec: corev1.PodSpec{Containers: []corev1.Container{{
					Name:  "app",
					Image: "registry.example/" + name + ":1.0",
				}}},
			},
		},
	}
}

// unschedulable makes d's pods match no node.
func unschedulable(d *appsv1.Deployment) *appsv1.Deployment {
	d.Spec.Template.Spec.NodeSelector = map[string]string{"ferry.example/pool": "none"}
	return d
}

func ref(apiVersion, kind, ns, name string) ObjectRef {
	return ObjectRef{APIVersion: apiVersion, Kind: kind, Namespace: ns, Name: name}
}

func TestWaitDeploymentBecomesCurrent(t *testing.T) {
	e := needEnv(t)
	g := NewWithT(t)
	ns := testenv.NewNamespace(t, e.Client)
	ctx, cancel := context.WithTimeout(context.Background(), testenv.RolloutTimeout)
	defer cancel()
	g.Expect(e.Client.Create(ctx, deploymentIn(ns, "web", 2))).To(Succeed())
	svc := &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Name: "web", Namespace: ns},
		Spec: corev1.ServiceSpec{
			Selector: map[string]string{"app": "web"},
			Ports:    []corev1.ServicePort{{Port: 80}},
		},
	}
	g.Expect(e.Client.Create(ctx, svc)).To(Succeed())

	refs := []ObjectRef{
		ref("apps/v1", "Deployment", ns, "web"),
		ref("v1", "Service", ns, "web"),
		ref("v1", "Namespace", "", ns),
	}
	g.Expect(Wait(ctx, e.Client, refs, WaitOptions{Interval: testenv.Interval})).To(Succeed())

	var d appsv1.Deployment
	g.Expect(e.Client.Get(ctx, keyOf(ns, "web"), &d)).To(Succeed())
	g.Expect(d.Status.ReadyReplicas).To(Equal(int32(2)))
}

func TestWaitFailsFast(t *testing.T) {
	e := needEnv(t)
	g := NewWithT(t)
	ns := testenv.NewNamespace(t, e.Client)
	ctx, cancel := context.WithTimeout(context.Background(), testenv.RolloutTimeout)
	defer cancel()
	d := unschedulable(deploymentIn(ns, "stuck", 1))
	d.Spec.ProgressDeadlineSeconds = ptr.To[int32](1)
	g.Expect(e.Client.Create(ctx, d)).To(Succeed())

	refs := []ObjectRef{
		ref("v1", "ConfigMap", ns, "never-created"),
		ref("apps/v1", "Deployment", ns, "stuck"),
	}
	err := Wait(ctx, e.Client, refs, WaitOptions{Interval: testenv.Interval})
	var failedErr *FailedError
	g.Expect(errors.As(err, &failedErr)).To(BeTrue(), "error: %v", err)
	g.Expect(ctx.Err()).NotTo(HaveOccurred(), "Wait must return before its deadline")
	g.Expect(failedErr.Ref).To(Equal(refs[1]))
	g.Expect(err.Error()).To(HavePrefix("Deployment/" + ns + "/stuck failed: Deployment exceeded its progress deadline: "))
	g.Expect(err.Error()).To(ContainSubstring("has timed out progressing"))
}

func TestWaitCustomResourceDefinition(t *testing.T) {
	e := needEnv(t)
	g := NewWithT(t)
	ns := testenv.NewNamespace(t, e.Client)
	ctx, cancel := context.WithTimeout(context.Background(), testenv.Timeout)
	defer cancel()
	crd := object(t, `
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: widgets.health.ferry.example}
spec:
  group: health.ferry.example
  scope: Namespaced
  names: {plural: widgets, singular: widget, kind: Widget, listKind: WidgetList}
  versions:
  - name: v1
    served: true
    storage: true
    schema:
      openAPIV3Schema:
        type: object
        x-kubernetes-preserve-unknown-fields: true`)
	g.Expect(e.Client.Create(ctx, crd)).To(Succeed())
	t.Cleanup(func() { _ = e.Client.Delete(context.Background(), crd) })
	g.Expect(Wait(ctx, e.Client, []ObjectRef{RefOf(crd)}, WaitOptions{Interval: testenv.Interval})).To(Succeed())
	// Established (Current) comes a moment before discovery serves the kind.
	g.Eventually(func() error {
		_, err := e.Client.RESTMapper().RESTMapping(schema.GroupKind{Group: "health.ferry.example", Kind: "Widget"}, "v1")
		return err
	}, testenv.Timeout, testenv.Interval).Should(Succeed())

	widget := object(t, `
apiVersion: health.ferry.example/v1
kind: Widget
metadata: {name: w}
spec: {size: 1}`)
	widget.SetNamespace(ns)
	g.Expect(e.Client.Create(ctx, widget)).To(Succeed())
	g.Expect(Wait(ctx, e.Client, []ObjectRef{RefOf(widget)}, WaitOptions{Interval: testenv.Interval})).To(Succeed())

	checks, err := NewChecks([]fluxmeta.CustomHealthCheck{{
		APIVersion: "health.ferry.example/v1",
		Kind:       "Widget",
		Failed:     "spec.size > 0",
		Current:    "spec.size == 0",
	}})
	g.Expect(err).NotTo(HaveOccurred())
	err = Wait(ctx, e.Client, []ObjectRef{RefOf(widget)}, WaitOptions{Interval: testenv.Interval, Compute: checks.Compute})
	g.Expect(err).To(MatchError(`Widget/` + ns + `/w failed: Widget is Failed: health check "spec.size > 0" is true`))
}

func TestWaitTimeoutListsPending(t *testing.T) {
	e := needEnv(t)
	g := NewWithT(t)
	ns := testenv.NewNamespace(t, e.Client)
	setup, cancelSetup := context.WithTimeout(context.Background(), testenv.Timeout)
	defer cancelSetup()
	g.Expect(e.Client.Create(setup, unschedulable(deploymentIn(ns, "stuck", 1)))).To(Succeed())
	cm := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "present", Namespace: ns}}
	g.Expect(e.Client.Create(setup, cm)).To(Succeed())

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	refs := []ObjectRef{
		ref("apps/v1", "Deployment", ns, "stuck"),
		ref("v1", "ConfigMap", ns, "present"),
		ref("v1", "ConfigMap", ns, "missing"),
		ref("v1", "ConfigMap", ns, "missing"),
	}
	err := Wait(ctx, e.Client, refs, WaitOptions{Interval: testenv.Interval})
	var timeoutErr *TimeoutError
	g.Expect(errors.As(err, &timeoutErr)).To(BeTrue(), "error: %v", err)
	g.Expect(errors.Is(err, context.DeadlineExceeded)).To(BeTrue())
	g.Expect(timeoutErr.Pending).To(HaveLen(2), "error: %v", err)
	g.Expect(timeoutErr.Pending[0].Result.Status).To(Equal(NotFound))
	g.Expect(timeoutErr.Pending[1].Result.Status).To(Equal(InProgress))
	want := "timed out waiting for 2 object(s) to become Current: " +
		"ConfigMap/" + ns + "/missing: NotFound: ConfigMap not found; " +
		"Deployment/" + ns + "/stuck: InProgress: Deployment "
	g.Expect(err.Error()).To(HavePrefix(want))
	g.Expect(strings.Count(err.Error(), "; ")).To(Equal(1))
}
