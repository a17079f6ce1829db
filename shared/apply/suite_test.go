package apply

import (
	"context"
	"os"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"

	kustomizev1 "github.com/ferry-gitops/ferry/shared/api/kustomize/v1"
	"github.com/ferry-gitops/ferry/shared/testing/testenv"
)

var env *testenv.Env

func TestMain(m *testing.M) {
	os.Exit(testenv.Run(m, testenv.Options{Setup: func(e *testenv.Env) error { env = e; return nil }}))
}

// owner is the field manager the tests apply with.
const owner = "ferry-test"

// annotations are the kustomize group's, as kustomize-controller passes them.
var annotations = Annotations{
	SSA: kustomizev1.SSAAnnotation, Force: kustomizev1.ForceAnnotation,
	Prune: kustomizev1.PruneAnnotation, Reconcile: kustomizev1.ReconcileAnnotation,
}

// parse turns YAML documents (one object each) into objects.
func parse(t testing.TB, docs ...string) []*unstructured.Unstructured {
	t.Helper()
	objs := make([]*unstructured.Unstructured, 0, len(docs))
	for _, d := range docs {
		u := &unstructured.Unstructured{}
		if err := yaml.Unmarshal([]byte(d), &u.Object); err != nil {
			t.Fatalf("failed to parse %q: %v", d, err)
		}
		objs = append(objs, u)
	}
	return objs
}

// get reads the live copy of obj, returning nil when it does not exist.
func get(t testing.TB, obj *unstructured.Unstructured) *unstructured.Unstructured {
	t.Helper()
	live := &unstructured.Unstructured{}
	live.SetGroupVersionKind(obj.GroupVersionKind())
	err := env.Client.Get(context.Background(), client.ObjectKeyFromObject(obj), live)
	if client.IgnoreNotFound(err) != nil {
		t.Fatalf("failed to get %s: %v", RefOf(obj), err)
	}
	if err != nil {
		return nil
	}
	return live
}

func ctxFor(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), testenv.Timeout)
	t.Cleanup(cancel)
	return ctx
}
