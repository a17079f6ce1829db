package reconcile_test

import (
	"context"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	"github.com/prometheus/client_golang/prometheus"
	"k8s.io/utils/ptr"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/config"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"
	ctrlreconcile "sigs.k8s.io/controller-runtime/pkg/reconcile"

	fluxmeta "github.com/ferry-gitops/ferry/shared/api/meta"
	"github.com/ferry-gitops/ferry/shared/runtime/conditions"
	"github.com/ferry-gitops/ferry/shared/runtime/controller"
	"github.com/ferry-gitops/ferry/shared/runtime/dependency"
	"github.com/ferry-gitops/ferry/shared/runtime/events"
	"github.com/ferry-gitops/ferry/shared/runtime/metrics"
	"github.com/ferry-gitops/ferry/shared/runtime/reconcile"
	"github.com/ferry-gitops/ferry/shared/testing/testenv"
)

// startWidgetController runs a manager with the widget controller and the dependency watch.
// Objects requeue after an hour and --requeue-dependency is off, so a dependent can only be
// woken early by its dependency's watch.
func startWidgetController(t *testing.T) {
	t.Helper()
	mgr, err := ctrl.NewManager(env.Config, ctrl.Options{
		Scheme:  env.Scheme,
		Metrics: metricsserver.Options{BindAddress: "0"},
		// Each test starts its own manager with the same controller name.
		Controller: config.Controller{SkipNameValidation: ptr.To(true)},
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	if err := dependency.SetupIndex(ctx, mgr, &Widget{}, "Widget"); err != nil {
		t.Fatal(err)
	}
	rec, err := events.NewRecorder(env.Config, env.Scheme, "test-controller", "")
	if err != nil {
		t.Fatal(err)
	}
	m, _ := metrics.Register(prometheus.NewRegistry())
	rt := &reconcile.Runtime{Client: mgr.GetClient(), Events: rec, Metrics: m}
	kind := widgetKind(&counter{steps: map[string]int{}, final: map[string]int{}})
	b := ctrl.NewControllerManagedBy(mgr).
		For(&Widget{}, builder.WithPredicates(controller.Default()))
	err = dependency.Watch(b, mgr, widgetDependencies, func() client.ObjectList { return &WidgetList{} }, nil).
		Named("widget").
		Complete(ctrlreconcile.Func(func(ctx context.Context, req ctrl.Request) (ctrl.Result, error) {
			return reconcile.Run(ctx, rt, kind, req)
		}))
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := mgr.Start(ctx); err != nil {
			t.Error(err)
		}
	}()
	t.Cleanup(func() { cancel(); <-done })
}

func TestDependentWokenWhenDependencyBecomesReady(t *testing.T) {
	g := NewWithT(t)
	startWidgetController(t)
	ns := testenv.NewNamespace(t, env.Client)
	dep := createWidget(t, ns, "database", WidgetSpec{Outcome: "wait"})
	app := createWidget(t, ns, "app", WidgetSpec{DependsOn: []fluxmeta.DependencyReference{{Name: "database"}}})

	get := func(w *Widget) *Widget {
		got := &Widget{}
		g.Expect(env.Client.Get(context.Background(), client.ObjectKeyFromObject(w), got)).To(Succeed())
		return got
	}
	g.Eventually(func() string {
		c := conditions.Get(get(app), fluxmeta.ReadyCondition)
		if c == nil {
			return ""
		}
		return c.Reason
	}, testenv.Timeout, testenv.Interval).Should(Equal(fluxmeta.DependencyNotReadyReason))
	waiting := get(app)
	checkStatus(t, waiting)
	g.Expect(conditions.Get(waiting, fluxmeta.ReadyCondition).Message).To(Equal("dependency '" + ns + "/database' is not ready"))

	// The dependency becomes Ready; the dependent must follow long before its 1h requeue.
	d := get(dep)
	d.Spec.Outcome = ""
	g.Expect(env.Client.Update(context.Background(), d)).To(Succeed())
	var depReady, appReady time.Time
	g.Eventually(func() bool {
		now := time.Now()
		if depReady.IsZero() && conditions.IsReady(get(dep)) {
			depReady = now
		}
		if conditions.IsReady(get(app)) {
			appReady = now
			return true
		}
		return false
	}, testenv.Timeout, 10*time.Millisecond).Should(BeTrue())
	checkStatus(t, get(app))
	t.Logf("dependent became Ready %v after its dependency was seen Ready (polled every 10ms)", appReady.Sub(depReady))
}

// TestDependentSeesDependencyCreated: a dependent waiting on a dependency that does not exist
// is woken when the dependency is created, so its message moves from "not found" to "not
// ready" without a poll, and to Ready when the dependency is.
func TestDependentSeesDependencyCreated(t *testing.T) {
	g := NewWithT(t)
	startWidgetController(t)
	ns := testenv.NewNamespace(t, env.Client)
	app := createWidget(t, ns, "app", WidgetSpec{DependsOn: []fluxmeta.DependencyReference{{Name: "cache"}}})
	readyMessage := func() string {
		got := &Widget{}
		g.Expect(env.Client.Get(context.Background(), client.ObjectKeyFromObject(app), got)).To(Succeed())
		if c := conditions.Get(got, fluxmeta.ReadyCondition); c != nil {
			return string(c.Status) + " " + c.Message
		}
		return ""
	}
	g.Eventually(readyMessage, testenv.Timeout, testenv.Interval).Should(Equal("False dependency '" + ns + "/cache' not found"))
	dep := createWidget(t, ns, "cache", WidgetSpec{Outcome: "wait"})
	g.Eventually(readyMessage, testenv.Timeout, testenv.Interval).Should(Equal("False dependency '" + ns + "/cache' is not ready"))
	// The controller may be writing the dependency (finalizer) at the same time: retry a conflict.
	g.Eventually(func() error {
		got := &Widget{}
		if err := env.Client.Get(context.Background(), client.ObjectKeyFromObject(dep), got); err != nil {
			return err
		}
		got.Spec.Outcome = ""
		return env.Client.Update(context.Background(), got)
	}, testenv.Timeout, testenv.Interval).Should(Succeed())
	g.Eventually(readyMessage, testenv.Timeout, testenv.Interval).Should(HavePrefix("True"))
}

// TestDependencyKindNotServed: the controller starts although a kind its objects may depend
// on is not served (that controller and its CRD left out of the install), and an object that
// depends on one is told so, and retried.
func TestDependencyKindNotServed(t *testing.T) {
	g := NewWithT(t)
	startWidgetController(t)
	ns := testenv.NewNamespace(t, env.Client)
	app := createWidget(t, ns, "app", WidgetSpec{DependsOn: []fluxmeta.DependencyReference{{Kind: "HelmRelease", Name: "db"}}})
	g.Eventually(func() string {
		got := &Widget{}
		g.Expect(env.Client.Get(context.Background(), client.ObjectKeyFromObject(app), got)).To(Succeed())
		if c := conditions.Get(got, fluxmeta.ReadyCondition); c != nil {
			return c.Reason + " " + c.Message
		}
		return ""
	}, testenv.Timeout, testenv.Interval).Should(Equal("DependencyNotReady dependency 'HelmRelease/" + ns + "/db': the cluster does not serve the kind HelmRelease"))
}
