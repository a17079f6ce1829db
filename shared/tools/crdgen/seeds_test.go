package main

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/ferry-gitops/ferry/shared/testing/testenv"
)

const seedObjects = "../../testing/fixtures/testdata/seed-objects.yaml"

// invalidSeeds are the documents of seed-objects.yaml noted there as invalid, with the field
// the API server's message must name.
var invalidSeeds = map[string]string{
	"GitRepository/my-git-repo":              "spec.branch",
	"HelmRelease/my-helm-app":                "spec.chart.spec.sourceRef",
	"ImageUpdateAutomation/myapp-automation": "spec.interval",
}

// TestSeedObjectsApply installs deploy/crds into a real API server and applies every document
// the seeds show, as written, with server-side apply and strict field validation: the valid
// ones are accepted (whatever their API version), the invalid ones rejected naming the field.
func TestSeedObjectsApply(t *testing.T) {
	env, err := testenv.Start(testenv.Options{CRDDirectoryPaths: []string{crdDir}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = env.Stop() })
	ns := testenv.NewNamespace(t, env.Client)
	seen := map[string]bool{}
	for _, obj := range readDocuments(t, seedObjects) {
		id := obj.GetKind() + "/" + obj.GetName()
		t.Run(obj.GetAPIVersion()+"/"+id, func(t *testing.T) {
			if obj.GetNamespace() == "" {
				obj.SetNamespace(ns)
			}
			ensureNamespace(t, env.Client, obj.GetNamespace())
			err := env.Client.Patch(context.Background(), obj, client.Apply,
				client.FieldOwner("seed-test"), client.ForceOwnership, client.FieldValidation("Strict"))
			field, invalid := invalidSeeds[id]
			switch {
			case invalid && err == nil:
				t.Fatalf("accepted, want a rejection naming %s", field)
			case invalid && !strings.Contains(err.Error(), field):
				t.Fatalf("rejected with %q, want the message to name %s", err, field)
			case !invalid && err != nil:
				t.Fatalf("rejected: %v", err)
			case invalid:
				seen[id] = true
				t.Logf("rejected as expected: %v", err)
			}
		})
	}
	for id := range invalidSeeds {
		if !seen[id] {
			t.Errorf("invalid seed %s not found or not rejected", id)
		}
	}
}

func readDocuments(t *testing.T, path string) []*unstructured.Unstructured {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	r := utilyaml.NewYAMLOrJSONDecoder(bytes.NewReader(data), 4096)
	var out []*unstructured.Unstructured
	for {
		obj := &unstructured.Unstructured{}
		if err := r.Decode(&obj.Object); err != nil {
			if errors.Is(err, io.EOF) {
				return out
			}
			t.Fatal(err)
		}
		if len(obj.Object) > 0 {
			out = append(out, obj)
		}
	}
}

func ensureNamespace(t *testing.T, c client.Client, name string) {
	t.Helper()
	ns := &unstructured.Unstructured{}
	ns.SetAPIVersion("v1")
	ns.SetKind("Namespace")
	ns.SetName(name)
	if err := c.Patch(context.Background(), ns, client.Apply, client.FieldOwner("seed-test")); err != nil {
		t.Fatal(err)
	}
}
