package reconcile_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/interceptor"

	helmv2 "github.com/ferry-gitops/ferry/shared/api/helm/v2"
	fluxmeta "github.com/ferry-gitops/ferry/shared/api/meta"
	"github.com/ferry-gitops/ferry/shared/runtime/conditions"
	"github.com/ferry-gitops/ferry/shared/runtime/events"
	"github.com/ferry-gitops/ferry/shared/runtime/metrics"
	"github.com/ferry-gitops/ferry/shared/runtime/reconcile"
	"github.com/ferry-gitops/ferry/shared/runtime/unsupported"
	"github.com/ferry-gitops/ferry/shared/testing/testenv"
)

var env *testenv.Env

func TestMain(m *testing.M) {
	scheme := runtime.NewScheme()
	_ = clientgoscheme.AddToScheme(scheme)
	_ = addWidgets(scheme)
	_ = helmv2.AddToScheme(scheme) // a kind whose CRD the API server does not serve
	os.Exit(testenv.Run(m, testenv.Options{
		Scheme:            scheme,
		CRDDirectoryPaths: []string{"testdata"},
		Setup:             func(e *testenv.Env) error { env = e; return nil },
	}))
}

// harness runs reconcile.Run directly, counting status writes.
type harness struct {
	t            testing.TB
	rt           *reconcile.Runtime
	kind         *reconcile.Kind[*Widget]
	cnt          *counter
	statusWrites atomic.Int32
	registry     *prometheus.Registry
	// patched holds the Ready and Reconciling conditions of every status patch, in order.
	patched []string
}

func newHarness(t testing.TB) *harness {
	h := &harness{t: t, cnt: &counter{steps: map[string]int{}, final: map[string]int{}}, registry: prometheus.NewRegistry()}
	c, err := client.NewWithWatch(env.Config, client.Options{Scheme: env.Scheme})
	if err != nil {
		t.Fatal(err)
	}
	counted := interceptor.NewClient(c, interceptor.Funcs{
		SubResourcePatch: func(ctx context.Context, c client.Client, sub string, obj client.Object, p client.Patch, o ...client.SubResourcePatchOption) error {
			h.statusWrites.Add(1)
			h.patched = append(h.patched, patchedSummary(t, obj, p))
			return c.SubResource(sub).Patch(ctx, obj, p, o...)
		},
		SubResourceUpdate: func(ctx context.Context, c client.Client, sub string, obj client.Object, o ...client.SubResourceUpdateOption) error {
			h.statusWrites.Add(1)
			return c.SubResource(sub).Update(ctx, obj, o...)
		},
	})
	rec, err := events.NewRecorder(env.Config, env.Scheme, "test-controller", "")
	if err != nil {
		t.Fatal(err)
	}
	m, err := metrics.Register(h.registry)
	if err != nil {
		t.Fatal(err)
	}
	h.rt = &reconcile.Runtime{Client: counted, Events: rec, Metrics: m}
	h.kind = widgetKind(h.cnt)
	return h
}

// reconcile runs one reconcile and returns its result and the number of status writes it made.
func (h *harness) reconcile(w *Widget) (ctrl.Result, error, int) {
	h.t.Helper()
	before := h.statusWrites.Load()
	res, err := reconcile.Run(context.Background(), h.rt, h.kind, ctrl.Request{NamespacedName: client.ObjectKeyFromObject(w)})
	return res, err, int(h.statusWrites.Load() - before)
}

func (h *harness) get(w *Widget) *Widget {
	h.t.Helper()
	got := &Widget{}
	if err := env.Client.Get(context.Background(), client.ObjectKeyFromObject(w), got); err != nil {
		h.t.Fatal(err)
	}
	return got
}

func createWidget(t testing.TB, ns, name string, spec WidgetSpec) *Widget {
	t.Helper()
	w := &Widget{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns}, Spec: spec}
	if err := env.Client.Create(context.Background(), w); err != nil {
		t.Fatal(err)
	}
	return w
}

// checkStatus asserts the kstatus invariants and the generation bookkeeping.
func checkStatus(t *testing.T, w *Widget) {
	t.Helper()
	if err := conditions.CheckInvariants(w); err != nil {
		t.Fatalf("kstatus invariants: %v (conditions %+v)", err, w.Status.Conditions)
	}
	if w.Status.ObservedGeneration != w.Generation {
		t.Fatalf("observedGeneration %d, generation %d", w.Status.ObservedGeneration, w.Generation)
	}
}

func TestRunSuccessWritesStatusOnce(t *testing.T) {
	g := NewWithT(t)
	h := newHarness(t)
	ns := testenv.NewNamespace(t, env.Client)
	w := createWidget(t, ns, "ok", WidgetSpec{})
	g.Expect(h.get(w).Status.ObservedGeneration).To(Equal(int64(-1)), "status default")

	res, err, writes := h.reconcile(w)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(writes).To(Equal(1), "one status write per reconcile")
	g.Expect(res.RequeueAfter).To(Equal(time.Hour))
	got := h.get(w)
	checkStatus(t, got)
	g.Expect(got.Finalizers).To(ContainElement(testFinalizer))
	ready := conditions.Get(got, fluxmeta.ReadyCondition)
	g.Expect(ready.Status).To(Equal(metav1.ConditionTrue))
	g.Expect(ready.Reason).To(Equal("Built"))
	g.Expect(ready.Message).To(Equal("widget built"))

	_, _, writes = h.reconcile(w)
	g.Expect(writes).To(Equal(0), "an unchanged status is not written again")

	g.Expect(testutil.CollectAndCount(h.registry, "gotk_reconcile_duration_seconds")).To(Equal(1))
	g.Expect(metricValue(t, h, "gotk_reconcile_condition", map[string]string{
		"kind": "Widget", "name": "ok", "namespace": ns, "type": "Ready", "status": "True"})).To(Equal(1.0))
	g.Eventually(func() []corev1.Event { return eventsFor(t, ns, "ok") }, testenv.Timeout, testenv.Interval).
		Should(ContainElement(SatisfyAll(
			HaveField("Reason", "Built"),
			HaveField("ObjectMeta.Annotations", HaveKeyWithValue("test.ferry.dev/revision", "gen-1")),
		)))
}

func TestRunStalledIsNotRetried(t *testing.T) {
	g := NewWithT(t)
	h := newHarness(t)
	w := createWidget(t, testenv.NewNamespace(t, env.Client), "stalled", WidgetSpec{Outcome: "stall"})
	res, err, writes := h.reconcile(w)
	g.Expect(err).NotTo(HaveOccurred(), "a stalled object is not retried with back-off")
	g.Expect(res).To(Equal(ctrl.Result{}), "a stalled object is not requeued")
	g.Expect(writes).To(Equal(1))
	got := h.get(w)
	checkStatus(t, got)
	g.Expect(conditions.IsTrue(got, fluxmeta.StalledCondition)).To(BeTrue())
	g.Expect(conditions.Get(got, fluxmeta.ReadyCondition).Reason).To(Equal("InvalidOutcome"))
	g.Expect(conditions.Get(got, fluxmeta.ReconcilingCondition)).To(BeNil())
}

func TestRunRefusesUnsupportedFields(t *testing.T) {
	g := NewWithT(t)
	h := newHarness(t)
	h.kind.Unsupported = []unsupported.Rule{{Path: "spec.outcome", Values: []string{"teleport"}}}
	w := createWidget(t, testenv.NewNamespace(t, env.Client), "refused", WidgetSpec{Outcome: "teleport"})
	res, err, writes := h.reconcile(w)
	g.Expect(err).NotTo(HaveOccurred(), "a refused field is not retried")
	g.Expect(res).To(Equal(ctrl.Result{}))
	g.Expect(writes).To(Equal(1))
	g.Expect(h.cnt.get(h.cnt.steps, "refused")).To(Equal(0), "no step runs for an object with a refused field")
	got := h.get(w)
	checkStatus(t, got)
	g.Expect(conditions.IsTrue(got, fluxmeta.StalledCondition)).To(BeTrue())
	ready := conditions.Get(got, fluxmeta.ReadyCondition)
	g.Expect(ready.Reason).To(Equal(fluxmeta.UnsupportedSpecReason))
	g.Expect(ready.Message).To(Equal("spec.outcome teleport is not supported by Ferry"))

	// Another value of the field is implemented: the object reconciles.
	got.Spec.Outcome = ""
	g.Expect(env.Client.Update(context.Background(), got)).To(Succeed())
	_, err, _ = h.reconcile(w)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(conditions.IsReady(h.get(w))).To(BeTrue())
}

// patchedSummary is the conditionSummary of the status that patch p of obj writes (the
// StatusPatcher sends the status alone, with a metadata-only object).
func patchedSummary(t testing.TB, obj client.Object, p client.Patch) string {
	data, err := p.Data(obj)
	if err != nil {
		t.Fatal(err)
	}
	w := &Widget{}
	if err := json.Unmarshal(data, w); err != nil {
		t.Fatal(err)
	}
	return conditionSummary(w)
}

// conditionSummary is "Ready=<status>/<reason> Reconciling=<status>" of w.
func conditionSummary(w *Widget) string {
	out := ""
	for _, t := range []string{fluxmeta.ReadyCondition, fluxmeta.ReconcilingCondition} {
		if c := conditions.Get(w, t); c != nil {
			out += fmt.Sprintf("%s=%s/%s ", t, c.Status, c.Reason)
		}
	}
	return strings.TrimSpace(out)
}

// TestRunProgressingBeforeLongWork: a step about to do long work shows Reconciling=True and
// Ready=Unknown at once, in a patch of its own; the final patch then says Ready=True.
func TestRunProgressingBeforeLongWork(t *testing.T) {
	g := NewWithT(t)
	h := newHarness(t)
	w := createWidget(t, testenv.NewNamespace(t, env.Client), "slow", WidgetSpec{Outcome: "slow"})
	_, err, writes := h.reconcile(w)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(writes).To(Equal(2), "one patch before the long work, one at the end")
	g.Expect(h.patched).To(Equal([]string{
		"Ready=Unknown/Progressing Reconciling=True/Progressing",
		"Ready=True/Built",
	}))
	got := h.get(w)
	checkStatus(t, got)
	g.Expect(conditions.IsReady(got)).To(BeTrue())
}

// TestRunRemovesNegativePolarityOnSuccess: a condition of negative polarity never stands
// beside Ready=True; the invariant checker catches one that would.
func TestRunRemovesNegativePolarityOnSuccess(t *testing.T) {
	g := NewWithT(t)
	h := newHarness(t)
	w := createWidget(t, testenv.NewNamespace(t, env.Client), "broken", WidgetSpec{Outcome: "broken-but-done"})
	_, err, _ := h.reconcile(w)
	g.Expect(err).NotTo(HaveOccurred())
	got := h.get(w)
	checkStatus(t, got)
	g.Expect(conditions.IsReady(got)).To(BeTrue())
	g.Expect(conditions.Get(got, brokenCondition)).To(BeNil())

	conditions.MarkTrue(got, brokenCondition, "Flaky", "broken")
	g.Expect(conditions.CheckInvariants(got)).To(MatchError(ContainSubstring("Broken, of negative polarity, is True")))
}

// TestRunTransientAfter: a step asks for its own retry delay; no back-off, no error.
func TestRunTransientAfter(t *testing.T) {
	g := NewWithT(t)
	h := newHarness(t)
	w := createWidget(t, testenv.NewNamespace(t, env.Client), "later", WidgetSpec{Outcome: "later"})
	res, err, _ := h.reconcile(w)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(res.RequeueAfter).To(Equal(7 * time.Second))
	got := h.get(w)
	checkStatus(t, got)
	g.Expect(conditions.Get(got, fluxmeta.ReadyCondition).Reason).To(Equal("NotYet"))
}

func TestRunTransientRetries(t *testing.T) {
	g := NewWithT(t)
	h := newHarness(t)
	w := createWidget(t, testenv.NewNamespace(t, env.Client), "flaky", WidgetSpec{Outcome: "fail"})
	_, err, writes := h.reconcile(w)
	g.Expect(err).To(MatchError(ContainSubstring("outcome failed for now")), "returned for back-off")
	g.Expect(writes).To(Equal(1))
	got := h.get(w)
	checkStatus(t, got)
	g.Expect(conditions.Get(got, fluxmeta.ReadyCondition).Status).To(Equal(metav1.ConditionFalse))
	g.Expect(conditions.Get(got, fluxmeta.ReconcilingCondition).Reason).To(Equal(fluxmeta.ProgressingWithRetryReason))

	// Fixed: Ready again, Reconciling gone.
	got.Spec.Outcome = ""
	g.Expect(env.Client.Update(context.Background(), got)).To(Succeed())
	_, err, _ = h.reconcile(w)
	g.Expect(err).NotTo(HaveOccurred())
	got = h.get(w)
	checkStatus(t, got)
	g.Expect(conditions.IsReady(got)).To(BeTrue())
	g.Expect(got.Status.ObservedGeneration).To(Equal(int64(2)))
}

func TestRunAnswersReconcileRequest(t *testing.T) {
	g := NewWithT(t)
	h := newHarness(t)
	w := createWidget(t, testenv.NewNamespace(t, env.Client), "requested", WidgetSpec{})
	_, _, _ = h.reconcile(w)
	got := h.get(w)
	got.Annotations = map[string]string{fluxmeta.ReconcileRequestAnnotation: "2026-11-21T10:00:00Z"}
	g.Expect(env.Client.Update(context.Background(), got)).To(Succeed())
	_, _, writes := h.reconcile(w)
	g.Expect(writes).To(Equal(1))
	got = h.get(w)
	checkStatus(t, got)
	g.Expect(got.Status.LastHandledReconcileAt).To(Equal("2026-11-21T10:00:00Z"))
	g.Expect(h.cnt.get(h.cnt.steps, "requested")).To(Equal(2))
}

func TestRunSuspended(t *testing.T) {
	g := NewWithT(t)
	h := newHarness(t)
	ns := testenv.NewNamespace(t, env.Client)
	w := createWidget(t, ns, "paused", WidgetSpec{Suspend: true})
	res, err, writes := h.reconcile(w)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(res).To(Equal(ctrl.Result{}))
	g.Expect(writes).To(Equal(0))
	g.Expect(h.cnt.get(h.cnt.steps, "paused")).To(Equal(0), "steps of a suspended object do not run")
	g.Expect(h.get(w).Status.Conditions).To(BeEmpty())
	g.Expect(metricValue(t, h, "gotk_suspend_status", map[string]string{
		"kind": "Widget", "name": "paused", "namespace": ns})).To(Equal(1.0))
}

func TestRunDeletionFinalizes(t *testing.T) {
	g := NewWithT(t)
	h := newHarness(t)
	w := createWidget(t, testenv.NewNamespace(t, env.Client), "gone", WidgetSpec{})
	_, _, _ = h.reconcile(w)
	g.Expect(env.Client.Delete(context.Background(), h.get(w))).To(Succeed())
	_, err, _ := h.reconcile(w)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(h.cnt.get(h.cnt.final, "gone")).To(Equal(1))
	g.Eventually(func() bool {
		return client.IgnoreNotFound(env.Client.Get(context.Background(), client.ObjectKeyFromObject(w), &Widget{})) == nil &&
			env.Client.Get(context.Background(), client.ObjectKeyFromObject(w), &Widget{}) != nil
	}, testenv.Timeout, testenv.Interval).Should(BeTrue(), "object removed once the finalizer is gone")
	g.Eventually(func() []corev1.Event { return eventsFor(t, w.Namespace, "gone") }, testenv.Timeout, testenv.Interval).
		Should(ContainElement(HaveField("Reason", "CleanedUp")), "events the clean-up queued are recorded")
}

// metricValue returns the value of the gauge series name{labels}, or -1 when absent.
func metricValue(t *testing.T, h *harness, name string, labels map[string]string) float64 {
	t.Helper()
	families, err := h.registry.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range families {
		if f.GetName() != name {
			continue
		}
	next:
		for _, m := range f.GetMetric() {
			for _, l := range m.GetLabel() {
				if v, ok := labels[l.GetName()]; ok && v != l.GetValue() {
					continue next
				}
			}
			return m.GetGauge().GetValue()
		}
	}
	return -1
}

func eventsFor(t *testing.T, ns, name string) []corev1.Event {
	var list corev1.EventList
	if err := env.Client.List(context.Background(), &list, client.InNamespace(ns)); err != nil {
		t.Fatal(err)
	}
	var out []corev1.Event
	for _, e := range list.Items {
		if e.InvolvedObject.Name == name {
			out = append(out, e)
		}
	}
	return out
}

// TestRunWaitsForItsOwnStatusInTheCache: a reconcile that reads an object from a cache that
// has not yet seen the status the previous reconcile wrote (the same generation, an older
// observedGeneration) does not redo the work; it looks again shortly. A deleted and
// re-created namesake is not mistaken for such a copy.
func TestRunWaitsForItsOwnStatusInTheCache(t *testing.T) {
	g := NewWithT(t)
	h := newHarness(t)
	ns := testenv.NewNamespace(t, env.Client)
	w := createWidget(t, ns, "cached", WidgetSpec{})
	before := h.get(w) // what a lagging cache still holds after the first reconcile
	_, err, writes := h.reconcile(w)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(writes).To(Equal(1))
	g.Expect(h.cnt.get(h.cnt.steps, "cached")).To(Equal(1))

	fresh := h.rt.Client
	h.rt.Client = interceptor.NewClient(fresh.(client.WithWatch), interceptor.Funcs{
		Get: func(ctx context.Context, c client.WithWatch, key client.ObjectKey, obj client.Object, o ...client.GetOption) error {
			if key == client.ObjectKeyFromObject(w) {
				*obj.(*Widget) = *before.DeepCopyObject().(*Widget)
				return nil
			}
			return c.Get(ctx, key, obj, o...)
		},
	})
	res, err, writes := h.reconcile(w)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(writes).To(Equal(0))
	g.Expect(res.RequeueAfter).To(BeNumerically(">", 0), "looked at again shortly")
	g.Expect(res.RequeueAfter).To(BeNumerically("<", time.Second))
	g.Expect(h.cnt.get(h.cnt.steps, "cached")).To(Equal(1), "the stale copy is not reconciled")

	// Once the cache shows the status, the object is reconciled as usual.
	h.rt.Client = fresh
	res, err, _ = h.reconcile(w)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(res.RequeueAfter).To(Equal(time.Hour))
	g.Expect(h.cnt.get(h.cnt.steps, "cached")).To(Equal(2))

	// A new object of the same name starts over: it is not a stale copy of the old one.
	g.Expect(env.Client.Delete(context.Background(), h.get(w))).To(Succeed())
	g.Eventually(func() error {
		_, err, _ := h.reconcile(w) // runs the finalizer
		if err != nil {
			return err
		}
		return env.Client.Get(context.Background(), client.ObjectKeyFromObject(w), &Widget{})
	}, testenv.Timeout, testenv.Interval).Should(Satisfy(apierrors.IsNotFound))
	again := createWidget(t, ns, "cached", WidgetSpec{})
	_, err, writes = h.reconcile(again)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(writes).To(Equal(1))
	g.Expect(h.cnt.get(h.cnt.steps, "cached")).To(Equal(3))
}
