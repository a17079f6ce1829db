package reconcile_test

import (
	"context"
	"fmt"
	"testing"

	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/ferry-gitops/ferry/shared/runtime/reconcile"
	"github.com/ferry-gitops/ferry/shared/testing/testenv"
)

// BenchmarkRunUnchanged measures the runtime's overhead on an object that is already Ready:
// one GET, the steps, no write.
func BenchmarkRunUnchanged(b *testing.B) {
	h := newHarness(b)
	w := createWidget(b, testenv.NewNamespace(b, env.Client), "steady", WidgetSpec{})
	req := ctrl.Request{NamespacedName: client.ObjectKeyFromObject(w)}
	if _, err := reconcile.Run(context.Background(), h.rt, h.kind, req); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for b.Loop() {
		if _, err := reconcile.Run(context.Background(), h.rt, h.kind, req); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkRunFirst measures the first reconcile of a new object: GET, finalizer patch, steps
// and the one status patch.
func BenchmarkRunFirst(b *testing.B) {
	h := newHarness(b)
	ns := testenv.NewNamespace(b, env.Client)
	i := 0
	for b.Loop() {
		b.StopTimer()
		w := createWidget(b, ns, fmt.Sprintf("w%d", i), WidgetSpec{})
		i++
		b.StartTimer()
		if _, err := reconcile.Run(context.Background(), h.rt, h.kind, ctrl.Request{NamespacedName: client.ObjectKeyFromObject(w)}); err != nil {
			b.Fatal(err)
		}
	}
}
