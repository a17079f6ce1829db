package ctrltest_test

import (
	"context"
	"os"
	"testing"

	corev1 "k8s.io/api/core/v1"
	ctrl "sigs.k8s.io/controller-runtime"
	ctrlreconcile "sigs.k8s.io/controller-runtime/pkg/reconcile"

	"github.com/ferry-gitops/ferry/shared/runtime/manager"
	"github.com/ferry-gitops/ferry/shared/runtime/reconcile"
	"github.com/ferry-gitops/ferry/shared/testing/ctrltest"
	"github.com/ferry-gitops/ferry/shared/testing/testenv"
)

var env *testenv.Env

func TestMain(m *testing.M) {
	os.Exit(testenv.Run(m, testenv.Options{Setup: func(e *testenv.Env) error { env = e; return nil }}))
}

func TestStartTwiceInOneProcess(t *testing.T) {
	for i := 0; i < 2; i++ { // the same controller name twice: SkipNameValidation
		registered := false
		m, err := ctrltest.Start(env, ctrltest.Options{
			Name: "test-controller",
			Args: []string{"--concurrent=3"},
			Register: func(mgr ctrl.Manager, rt *reconcile.Runtime, o *manager.Options) error {
				registered = rt.Client != nil && o.Concurrent == 3
				return ctrl.NewControllerManagedBy(mgr).Named("configmaps").For(&corev1.ConfigMap{}).
					Complete(ctrlreconcile.Func(func(context.Context, ctrl.Request) (ctrl.Result, error) { return ctrl.Result{}, nil }))
			},
		})
		if err != nil {
			t.Fatal(err)
		}
		m.Stop()
		if !registered {
			t.Fatal("Register was not called with the runtime and the parsed options")
		}
	}
}
