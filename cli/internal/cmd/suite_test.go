package cmd_test

import (
	"context"
	"errors"
	"os"
	"sync"
	"testing"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	apimeta "k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/ferry-gitops/ferry/cli/internal/clitest"
	"github.com/ferry-gitops/ferry/cli/internal/kinds"
	kustomizev1 "github.com/ferry-gitops/ferry/shared/api/kustomize/v1"
	fluxmeta "github.com/ferry-gitops/ferry/shared/api/meta"
	sourcev1 "github.com/ferry-gitops/ferry/shared/api/source/v1"
	"github.com/ferry-gitops/ferry/shared/runtime/conditions"
	"github.com/ferry-gitops/ferry/shared/testing/testenv"
)

// env is the API server the suite runs against, with deploy/crds installed.
var env *testenv.Env

func TestMain(m *testing.M) {
	scheme := runtime.NewScheme()
	if err := errors.Join(clientgoscheme.AddToScheme(scheme), kinds.AddToScheme(scheme)); err != nil {
		panic(err)
	}
	os.Exit(testenv.Run(m, testenv.Options{
		CRDDirectoryPaths:     []string{"../../../deploy/crds"},
		ErrorIfCRDPathMissing: true,
		Scheme:                scheme,
		Setup:                 func(e *testenv.Env) error { env = e; return nil },
	}))
}

// result is what one run of the CLI printed and returned.
type result struct {
	out, err string
	runErr   error
}

// ferry runs the CLI in-process against the test API server.
func ferry(t *testing.T, args ...string) result {
	t.Helper()
	r := clitest.Run(t, clitest.Options{Kubeconfig: env.Kubeconfig, Timeout: testenv.Timeout, PollInterval: 20 * time.Millisecond}, args...)
	return result{out: r.Out, err: r.Err, runErr: r.RunErr}
}

// create creates obj, failing the test on error.
func create(t *testing.T, obj client.Object) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), testenv.Timeout)
	defer cancel()
	if err := env.Client.Create(ctx, obj); err != nil {
		t.Fatalf("failed to create %T %s: %v", obj, obj.GetName(), err)
	}
}

// setStatus writes obj's status through the status subresource after mutate changed it.
func setStatus[T kinds.Object](t *testing.T, obj T, mutate func(T)) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), testenv.Timeout)
	defer cancel()
	if err := env.Client.Get(ctx, client.ObjectKeyFromObject(obj), obj); err != nil {
		t.Fatalf("failed to get %s: %v", obj.GetName(), err)
	}
	mutate(obj)
	if err := env.Client.Status().Update(ctx, obj); err != nil {
		t.Fatalf("failed to update the status of %s: %v", obj.GetName(), err)
	}
}

// fetch reads the current state of obj.
func fetch(t *testing.T, obj client.Object) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), testenv.Timeout)
	defer cancel()
	if err := env.Client.Get(ctx, client.ObjectKeyFromObject(obj), obj); err != nil {
		t.Fatalf("failed to get %s: %v", obj.GetName(), err)
	}
}

// answer is how a simulated controller concludes a reconciliation: it sets the
// conditions (and any other status) of the object.
type answer func(obj fluxmeta.StatusObject)

// readyTrue answers Ready=True with message.
func readyTrue(message string) answer {
	return func(obj fluxmeta.StatusObject) {
		conditions.MarkTrue(obj, fluxmeta.ReadyCondition, fluxmeta.SucceededReason, message)
	}
}

// readyFalse answers Ready=False with message.
func readyFalse(message string) answer {
	return func(obj fluxmeta.StatusObject) {
		conditions.MarkFalse(obj, fluxmeta.ReadyCondition, fluxmeta.ReconciliationFailedReason, message)
	}
}

// simulate runs a controller for the objects of kind k in namespace until the test ends:
// it polls them and, for each one that is not suspended and carries a reconcile request
// it has not handled, writes status.lastHandledReconcileAt, status.observedGeneration and
// what answer sets, in one status update, as the shared runtime does.
func simulate(t *testing.T, k *kinds.Kind, namespace string, answer answer) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*testenv.Timeout)
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		ticker := time.NewTicker(testenv.Interval / 5)
		defer ticker.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-ticker.C:
				if err := handleRequests(ctx, k, namespace, answer); err != nil && ctx.Err() == nil {
					t.Errorf("simulated %s controller: %v", k, err)
					return
				}
			}
		}
	}()
	t.Cleanup(func() { cancel(); wg.Wait() })
}

// handleRequests is one pass of a simulated controller over the objects of kind k.
func handleRequests(ctx context.Context, k *kinds.Kind, namespace string, answer answer) error {
	l := k.NewList()
	if err := env.Client.List(ctx, l, client.InNamespace(namespace)); err != nil {
		return err
	}
	objs, err := itemsOf(l)
	if err != nil {
		return err
	}
	for _, obj := range objs {
		so := obj.(fluxmeta.StatusObject)
		token, ok := fluxmeta.GetRequestedAt(obj)
		if !ok || obj.IsSuspended() || so.GetObjectStatus().LastHandledReconcileAt == token {
			continue
		}
		so.GetObjectStatus().LastHandledReconcileAt = token
		so.GetObjectStatus().ObservedGeneration = obj.GetGeneration()
		answer(so)
		if err := env.Client.Status().Update(ctx, obj); err != nil && !apierrors.IsConflict(err) {
			return err
		}
	}
	return nil
}

// itemsOf returns the items of a list of a kind of the table.
func itemsOf(l client.ObjectList) ([]kinds.Object, error) {
	var out []kinds.Object
	items, err := apimeta.ExtractList(l)
	if err != nil {
		return nil, err
	}
	for _, item := range items {
		out = append(out, item.(kinds.Object))
	}
	return out, nil
}

// gitRepository returns a valid GitRepository named name in namespace.
func gitRepository(namespace, name string) *sourcev1.GitRepository {
	obj := &sourcev1.GitRepository{ObjectMeta: metav1.ObjectMeta{Namespace: namespace, Name: name}}
	obj.Spec.URL = "https://git.example.com/" + name
	obj.Spec.Interval = metav1.Duration{Duration: time.Minute}
	return obj
}

// kustomization returns a valid Kustomization named name in namespace, built from the
// GitRepository called source.
func kustomization(namespace, name, source string) *kustomizev1.Kustomization {
	obj := &kustomizev1.Kustomization{ObjectMeta: metav1.ObjectMeta{Namespace: namespace, Name: name}}
	obj.Spec.Interval = metav1.Duration{Duration: 10 * time.Minute}
	obj.Spec.SourceRef = kustomizev1.CrossNamespaceSourceReference{Kind: sourcev1.GitRepositoryKind, Name: source}
	return obj
}

// kindOf returns the table entry of kind, failing the test when there is none.
func kindOf(t *testing.T, kind string) *kinds.Kind {
	t.Helper()
	k, ok := kinds.ByKind(kind)
	if !ok {
		t.Fatalf("no kind %s in the table", kind)
	}
	return k
}
