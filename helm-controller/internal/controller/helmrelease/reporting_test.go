package helmrelease

import (
	"context"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	helmv2 "github.com/ferry-gitops/ferry/shared/api/helm/v2"
	fluxmeta "github.com/ferry-gitops/ferry/shared/api/meta"
	"github.com/ferry-gitops/ferry/shared/runtime/conditions"
	"github.com/ferry-gitops/ferry/shared/testing/statuscheck"
	"github.com/ferry-gitops/ferry/shared/testing/testenv"
)

// TestFirstFailureReportedOnce: the first failure of an install or upgrade that is retried is
// one Warning event, recorded by the runtime for the new Ready state, not a second time by the
// action.
func TestFirstFailureReportedOnce(t *testing.T) {
	t.Parallel()
	ns := testenv.NewNamespace(t, k8s)
	helmChart(t, ns, "app", "app", "0.1.0")
	// Retried, but not before the test ends.
	retry := &helmv2.ActionStrategy{Name: helmv2.ActionStrategyRetryOnFailure, RetryInterval: &metav1.Duration{Duration: time.Hour}}
	tests := []struct {
		name              string
		upgrade           bool // the failing action is an upgrade of a release installed first
		failed, succeeded string
	}{
		{name: "install", failed: helmv2.InstallFailedReason, succeeded: helmv2.InstallSucceededReason},
		{name: "upgrade", upgrade: true, failed: helmv2.UpgradeFailedReason, succeeded: helmv2.UpgradeSucceededReason},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			g := NewWithT(t)
			hr := newRelease(ns, tt.name, "app", `{"fail":true}`)
			hr.Spec.Install = &helmv2.Install{Strategy: retry}
			hr.Spec.Upgrade = &helmv2.Upgrade{Strategy: retry}
			if tt.upgrade {
				hr.Spec.Values = nil
			}
			g.Expect(k8s.Create(context.Background(), hr)).To(Succeed())
			if tt.upgrade {
				statuscheck.Ready(t, k8s, hr)
				statuscheck.Update(t, k8s, hr, func(o *helmv2.HelmRelease) { o.Spec.Values = jsonValues(`{"fail":true}`) })
			}
			statuscheck.NotReady(t, k8s, hr, tt.failed, "the chart was asked to fail")

			// Mended: the event of the success is recorded after every event of the failure.
			statuscheck.Update(t, k8s, hr, func(o *helmv2.HelmRelease) { o.Spec.Values = jsonValues(`{"fail":false}`) })
			statuscheck.Ready(t, k8s, hr)
			g.Eventually(func() []string {
				return statuscheck.Events(t, k8s, hr, helmv2.HelmReleaseKind, tt.succeeded)
			}, testenv.Timeout, testenv.Interval).ShouldNot(BeEmpty())
			g.Expect(eventCount(t, hr, corev1.EventTypeWarning, tt.failed)).To(Equal(int32(1)),
				"Warning events %v", statuscheck.Events(t, k8s, hr, helmv2.HelmReleaseKind, tt.failed))
		})
	}
}

// eventCount is how many times an event of the type and reason was recorded for hr: the
// recorder folds an event identical to an earlier one into the earlier one's count.
func eventCount(t *testing.T, hr *helmv2.HelmRelease, eventType, reason string) int32 {
	t.Helper()
	var list corev1.EventList
	if err := k8s.List(context.Background(), &list, client.InNamespace(hr.Namespace)); err != nil {
		t.Fatalf("failed to list events: %v", err)
	}
	var n int32
	for _, e := range list.Items {
		if e.InvolvedObject.Kind == helmv2.HelmReleaseKind && e.InvolvedObject.Name == hr.Name &&
			e.Type == eventType && e.Reason == reason {
			n += max(e.Count, 1)
		}
	}
	return n
}

// TestUpgradeShowsProgress: while an upgrade waits for its Deployment, the HelmRelease shows
// Reconciling=True and Ready=Unknown naming the action and the chart, not its old Ready=True.
func TestUpgradeShowsProgress(t *testing.T) {
	t.Parallel()
	g := NewWithT(t)
	ctx := context.Background()
	ns := testenv.NewNamespace(t, k8s)
	helmChart(t, ns, "app", "app", "0.1.0")
	hr := newRelease(ns, "slow", "app", "")
	hr.Spec.Upgrade = &helmv2.Upgrade{Timeout: &metav1.Duration{Duration: 5 * time.Minute}}
	g.Expect(k8s.Create(ctx, hr)).To(Succeed())
	statuscheck.Ready(t, k8s, hr)

	// The new pods want a node with a label of this test's own, which none has yet.
	label := "ferry.test/" + ns
	statuscheck.Update(t, k8s, hr, func(o *helmv2.HelmRelease) {
		o.Spec.Values = jsonValues(`{"nodeSelector":{"` + label + `":"true"}}`)
	})
	msg := "Running 'upgrade' action with timeout of 5m0s for release " + ns + "/slow with chart app@0.1.0"
	g.Eventually(func(g Gomega) {
		cur, err := statuscheck.Get(ctx, k8s, hr)
		g.Expect(err).NotTo(HaveOccurred())
		g.Expect(conditions.Get(cur, fluxmeta.ReconcilingCondition)).To(And(HaveField("Status", metav1.ConditionTrue),
			HaveField("Reason", fluxmeta.ProgressingReason), HaveField("Message", msg)))
		g.Expect(conditions.Get(cur, fluxmeta.ReadyCondition)).To(And(HaveField("Status", metav1.ConditionUnknown),
			HaveField("Reason", fluxmeta.ProgressingReason), HaveField("Message", msg)))
		g.Expect(conditions.CheckInvariants(cur)).To(Succeed())
	}, statuscheck.Timeout, testenv.Interval).Should(Succeed())

	// The node gets the label: the pods run, the Deployment is available, the upgrade ends.
	labelNode(t, label)
	got := statuscheck.Ready(t, k8s, hr)
	g.Expect(conditions.Get(got, fluxmeta.ReadyCondition).Reason).To(Equal(helmv2.UpgradeSucceededReason))
	g.Expect(got.Status.History.Latest().Version).To(Equal(2))
	g.Expect(conditions.Get(got, fluxmeta.ReconcilingCondition)).To(BeNil())
}

// labelNode sets label to "true" on the node KWOK plays, until the test ends.
func labelNode(t *testing.T, label string) {
	t.Helper()
	patch := func(value string) error {
		body := []byte(`{"metadata":{"labels":{"` + label + `":` + value + `}}}`)
		node := &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: testenv.FakeNodeName}}
		return k8s.Patch(context.Background(), node, client.RawPatch(types.MergePatchType, body))
	}
	if err := patch(`"true"`); err != nil {
		t.Fatalf("failed to label the node: %v", err)
	}
	t.Cleanup(func() {
		if err := patch("null"); err != nil {
			t.Errorf("failed to remove the node's label: %v", err)
		}
	})
}
