// Package statuscheck is how every controller test waits for a toolkit object: poll it until
// a check passes at its current generation, then hold its conditions to the kstatus
// invariants; ask for a reconcile the way `flux reconcile` does; change a spec despite
// conflicts; read the events recorded for an object. Only tests import it.
package statuscheck

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	fluxmeta "github.com/ferry-gitops/ferry/shared/api/meta"
	"github.com/ferry-gitops/ferry/shared/runtime/conditions"
	"github.com/ferry-gitops/ferry/shared/testing/testenv"
)

// Object is a toolkit object the shared runtime keeps conditions on.
type Object interface {
	client.Object
	fluxmeta.StatusObject
}

// Timeout bounds every wait of this package: long enough for a rollout on a loaded machine;
// a wait that succeeds returns as soon as its check passes.
const Timeout = testenv.RolloutTimeout

// Get reads obj's current state from c into a new object of its type.
func Get[T Object](ctx context.Context, c client.Reader, obj T) (T, error) {
	cur := obj.DeepCopyObject().(T)
	err := c.Get(ctx, client.ObjectKeyFromObject(obj), cur)
	return cur, err
}

// Wait polls obj through c until check passes on a state whose status.observedGeneration is
// its generation, fails the test unless that state's conditions hold the kstatus invariants
// (conditions.CheckInvariants), and returns that state.
func Wait[T Object](t testing.TB, c client.Reader, obj T, check func(g Gomega, cur T)) T {
	t.Helper()
	var cur T
	NewWithT(t).Eventually(func(g Gomega) {
		var err error
		cur, err = Get(context.Background(), c, obj)
		g.Expect(err).NotTo(HaveOccurred())
		g.Expect(cur.GetObjectStatus().ObservedGeneration).To(Equal(cur.GetGeneration()), "observedGeneration")
		check(g, cur)
	}, Timeout, testenv.Interval).Should(Succeed(), "%T %s", obj, client.ObjectKeyFromObject(obj))
	if err := conditions.CheckInvariants(cur); err != nil {
		t.Fatalf("kstatus invariants of %T %s: %v (conditions %+v)", obj, client.ObjectKeyFromObject(obj), err,
			cur.GetObjectStatus().Conditions)
	}
	return cur
}

// Ready waits until obj is Ready=True at its generation and returns it.
func Ready[T Object](t testing.TB, c client.Reader, obj T) T {
	t.Helper()
	return Wait(t, c, obj, func(g Gomega, cur T) {
		g.Expect(conditions.IsReady(cur)).To(BeTrue(), "Ready: %s", describe(cur))
	})
}

// NotReady waits until obj is Ready=False at its generation with reason and a message that
// contains msg, and returns it.
func NotReady[T Object](t testing.TB, c client.Reader, obj T, reason, msg string) T {
	t.Helper()
	return Wait(t, c, obj, func(g Gomega, cur T) {
		ready := conditions.Get(cur, fluxmeta.ReadyCondition)
		g.Expect(ready).NotTo(BeNil(), "no Ready condition")
		g.Expect(ready.Status).To(Equal(metav1.ConditionFalse), "Ready: %s", describe(cur))
		g.Expect(ready.Reason).To(Equal(reason), "Ready: %s", describe(cur))
		g.Expect(ready.Message).To(ContainSubstring(msg))
	})
}

// Stalled waits until obj is Stalled=True and Ready=False at its generation with reason and a
// message that contains msg, and returns it.
func Stalled[T Object](t testing.TB, c client.Reader, obj T, reason, msg string) T {
	t.Helper()
	return Wait(t, c, obj, func(g Gomega, cur T) {
		g.Expect(conditions.IsTrue(cur, fluxmeta.StalledCondition)).To(BeTrue(), "Stalled: %s", describe(cur))
		ready := conditions.Get(cur, fluxmeta.ReadyCondition)
		g.Expect(ready.Reason).To(Equal(reason))
		g.Expect(ready.Message).To(ContainSubstring(msg))
	})
}

// Update changes obj's spec with mutate and writes it, reading it again and retrying when
// the controller wrote the object meanwhile (a conflict). obj is left as written.
func Update[T Object](t testing.TB, c client.Client, obj T, mutate func(T)) T {
	t.Helper()
	var cur T
	NewWithT(t).Eventually(func() error {
		var err error
		if cur, err = Get(context.Background(), c, obj); err != nil {
			return err
		}
		mutate(cur)
		return c.Update(context.Background(), cur)
	}, Timeout, testenv.Interval).Should(Succeed())
	return cur
}

// RequestReconcile asks for a reconcile as `flux reconcile` does (the requestedAt
// annotation) and waits until the controller handled it; it returns that state.
func RequestReconcile[T Object](t testing.TB, c client.Client, obj T) T {
	t.Helper()
	token := time.Now().Format(time.RFC3339Nano)
	Update(t, c, obj, func(cur T) {
		ann := cur.GetAnnotations()
		if ann == nil {
			ann = map[string]string{}
		}
		ann[fluxmeta.ReconcileRequestAnnotation] = token
		cur.SetAnnotations(ann)
	})
	return Wait(t, c, obj, func(g Gomega, cur T) {
		g.Expect(cur.GetObjectStatus().LastHandledReconcileAt).To(Equal(token))
	})
}

// Events returns the events recorded for obj (same kind and name in its namespace), oldest
// first, as "<Type> <Reason>: <Message>"; reasons, when given, keep only those reasons.
func Events(t testing.TB, c client.Reader, obj client.Object, kind string, reasons ...string) []string {
	t.Helper()
	var list corev1.EventList
	if err := c.List(context.Background(), &list, client.InNamespace(obj.GetNamespace())); err != nil {
		t.Fatalf("failed to list events: %v", err)
	}
	sort.SliceStable(list.Items, func(i, j int) bool {
		return list.Items[i].CreationTimestamp.Before(&list.Items[j].CreationTimestamp)
	})
	var out []string
	for _, e := range list.Items {
		if e.InvolvedObject.Name != obj.GetName() || e.InvolvedObject.Kind != kind {
			continue
		}
		if len(reasons) > 0 && !contains(reasons, e.Reason) {
			continue
		}
		out = append(out, fmt.Sprintf("%s %s: %s", e.Type, e.Reason, e.Message))
	}
	return out
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// describe is "<status>/<reason>: <message>" of obj's Ready condition.
func describe(obj fluxmeta.StatusObject) string {
	c := conditions.Get(obj, fluxmeta.ReadyCondition)
	if c == nil {
		return "none"
	}
	return strings.TrimSpace(fmt.Sprintf("%s/%s: %s", c.Status, c.Reason, c.Message))
}
