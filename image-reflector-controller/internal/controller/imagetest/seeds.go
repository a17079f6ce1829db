package imagetest

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"slices"
	"testing"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// seedObjects are the documents the seeds show, as seen from a kind's package.
const seedObjects = "../../../../shared/testing/fixtures/testdata/seed-objects.yaml"

// ApplySeeds applies, as written, every document of the seeds whose kind is one of kinds
// (in the group image.toolkit.fluxcd.io, whatever its version), with server-side apply and
// strict field validation; a document without a namespace goes to ns. It returns the
// applied objects.
func (s *Suite) ApplySeeds(t *testing.T, ns string, kinds ...string) []*unstructured.Unstructured {
	t.Helper()
	data, err := os.ReadFile(seedObjects)
	if err != nil {
		t.Fatal(err)
	}
	dec := utilyaml.NewYAMLOrJSONDecoder(bytes.NewReader(data), 4096)
	var out []*unstructured.Unstructured
	for {
		obj := &unstructured.Unstructured{}
		if err := dec.Decode(&obj.Object); errors.Is(err, io.EOF) {
			return out
		} else if err != nil {
			t.Fatal(err)
		}
		if obj.GroupVersionKind().Group != "image.toolkit.fluxcd.io" || !slices.Contains(kinds, obj.GetKind()) {
			continue
		}
		if obj.GetNamespace() == "" {
			obj.SetNamespace(ns)
		}
		s.ensureNamespace(t, obj.GetNamespace())
		err := s.Env.Client.Patch(context.Background(), obj, client.Apply, client.FieldOwner("seed-test"),
			client.ForceOwnership, client.FieldValidation("Strict"))
		if err != nil {
			t.Fatalf("%s %s/%s as written: %v", obj.GetAPIVersion(), obj.GetKind(), obj.GetName(), err)
		}
		out = append(out, obj)
	}
}

func (s *Suite) ensureNamespace(t *testing.T, name string) {
	t.Helper()
	err := s.Env.Client.Create(context.Background(), &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name}})
	if err != nil && !apierrors.IsAlreadyExists(err) {
		t.Fatal(err)
	}
}
