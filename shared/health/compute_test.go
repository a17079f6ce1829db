package health

import (
	"testing"

	. "github.com/onsi/gomega"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/yaml"
)

// object decodes a YAML manifest the way the API server's JSON would be.
func object(t testing.TB, manifest string) *unstructured.Unstructured {
	t.Helper()
	data, err := yaml.YAMLToJSON([]byte(manifest))
	if err != nil {
		t.Fatalf("failed to convert YAML: %v", err)
	}
	u := &unstructured.Unstructured{}
	if err := u.UnmarshalJSON(data); err != nil {
		t.Fatalf("failed to decode object: %v", err)
	}
	return u
}

type computeCase struct {
	name     string
	manifest string
	status   Status
	message  string
}

func runCompute(t *testing.T, cases []computeCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			g := NewWithT(t)
			res, err := Compute(object(t, tc.manifest))
			g.Expect(err).NotTo(HaveOccurred())
			g.Expect(res.Status).To(Equal(tc.status))
			g.Expect(res.Message).To(Equal(tc.message))
		})
	}
}

func TestComputeGeneric(t *testing.T) {
	runCompute(t, []computeCase{
		{
			name: "deletion timestamp is Terminating",
			manifest: `
apiVersion: v1
kind: ConfigMap
metadata: {name: a, deletionTimestamp: "2026-01-01T00:00:00Z", finalizers: [x]}`,
			status: Terminating, message: "ConfigMap is being deleted",
		},
		{
			name: "observedGeneration behind is InProgress",
			manifest: `
apiVersion: example.com/v1
kind: Widget
metadata: {name: a, generation: 3}
status: {observedGeneration: 2, conditions: [{type: Ready, status: "True"}]}`,
			status: InProgress, message: "Widget generation is 3, but the latest observed generation is 2",
		},
		{
			name: "Reconciling True is InProgress",
			manifest: `
apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata: {name: a, generation: 1}
status:
  observedGeneration: 1
  conditions:
  - {type: Reconciling, status: "True", reason: Progressing, message: "applying revision main@sha1:abc"}
  - {type: Ready, status: Unknown, reason: Progressing}`,
			status: InProgress, message: "reconciling: Progressing: applying revision main@sha1:abc",
		},
		{
			name: "Flux Stalled with Ready False is Failed",
			manifest: `
apiVersion: source.toolkit.fluxcd.io/v1
kind: GitRepository
metadata: {name: a, generation: 2}
status:
  observedGeneration: 2
  conditions:
  - {type: Ready, status: "False", reason: URLInvalid, message: "invalid URL"}
  - {type: Stalled, status: "True", reason: URLInvalid, message: "invalid URL"}`,
			status: Failed, message: "stalled: URLInvalid: invalid URL",
		},
		{
			name: "Ready True is Current",
			manifest: `
apiVersion: helm.toolkit.fluxcd.io/v2
kind: HelmRelease
metadata: {name: a, generation: 1}
status:
  observedGeneration: 1
  conditions:
  - {type: Ready, status: "True", reason: InstallSucceeded, message: "Helm install succeeded"}`,
			status: Current, message: "ready: InstallSucceeded: Helm install succeeded",
		},
		{
			name: "Ready False without Stalled is InProgress",
			manifest: `
apiVersion: source.toolkit.fluxcd.io/v1
kind: GitRepository
metadata: {name: a, generation: 1}
status:
  observedGeneration: 1
  conditions:
  - {type: Ready, status: "False", reason: GitOperationFailed, message: "connection refused"}`,
			status: InProgress, message: "not ready: GitOperationFailed: connection refused",
		},
		{
			name: "object without status is Current",
			manifest: `
apiVersion: v1
kind: ConfigMap
metadata: {name: a}
data: {k: v}`,
			status: Current, message: "ConfigMap is current",
		},
		{
			name: "custom resource without Ready condition is Current",
			manifest: `
apiVersion: example.com/v1
kind: Widget
metadata: {name: a, generation: 1}
status: {observedGeneration: 1, conditions: [{type: Synced, status: "False"}]}`,
			status: Current, message: "Widget is current",
		},
	})
}

func TestComputeErrors(t *testing.T) {
	cases := []struct {
		name     string
		manifest string
	}{
		{"conditions not a list", `
apiVersion: example.com/v1
kind: Widget
metadata: {name: a}
status: {conditions: "Ready"}`},
		{"observedGeneration not an integer", `
apiVersion: example.com/v1
kind: Widget
metadata: {name: a, generation: 1}
status: {observedGeneration: "one"}`},
		{"replicas not an integer", `
apiVersion: apps/v1
kind: Deployment
metadata: {name: a}
spec: {replicas: "two"}`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			g := NewWithT(t)
			res, err := Compute(object(t, tc.manifest))
			g.Expect(err).To(HaveOccurred())
			g.Expect(res.Status).To(Equal(Unknown))
		})
	}
}

func TestResultString(t *testing.T) {
	g := NewWithT(t)
	g.Expect(Result{Status: Current}.String()).To(Equal("Current"))
	g.Expect(Result{Status: Failed, Message: "boom"}.String()).To(Equal("Failed: boom"))
}
