package health

import (
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// benchObjects is a mix of the objects a Kustomization typically applies.
var benchObjects = []string{
	deploymentHead + `
spec: {replicas: 2}
status:
  observedGeneration: 2
  replicas: 2
  updatedReplicas: 2
  readyReplicas: 2
  availableReplicas: 2
  conditions:
  - {type: Available, status: "True", reason: MinimumReplicasAvailable}
  - {type: Progressing, status: "True", reason: NewReplicaSetAvailable}`,
	statefulSetHead + `
spec: {replicas: 3}
status: {observedGeneration: 4, replicas: 3, readyReplicas: 3, updatedReplicas: 3, currentRevision: db-7c, updateRevision: db-7c}`,
	podHead + `
status: {phase: Running, conditions: [{type: Ready, status: "True"}]}`,
	`
apiVersion: v1
kind: Service
metadata: {name: web, namespace: apps}
spec: {type: ClusterIP, ports: [{port: 80}]}`,
	`
apiVersion: v1
kind: ConfigMap
metadata: {name: cfg, namespace: apps}
data: {k: v}`,
	`
apiVersion: helm.toolkit.fluxcd.io/v2
kind: HelmRelease
metadata: {name: a, generation: 1}
status:
  observedGeneration: 1
  conditions:
  - {type: Ready, status: "True", reason: InstallSucceeded, message: "Helm install succeeded"}`,
	crdHead + `
status:
  conditions:
  - {type: NamesAccepted, status: "True", reason: NoConflicts}
  - {type: Established, status: "True", reason: InitialNamesAccepted}`,
	jobHead + `
spec: {completions: 3}
status: {active: 1, succeeded: 1, failed: 1}`,
}

func BenchmarkCompute(b *testing.B) {
	objs := make([]*unstructured.Unstructured, len(benchObjects))
	for i, m := range benchObjects {
		objs[i] = object(b, m)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		if _, err := Compute(objs[i%len(objs)]); err != nil {
			b.Fatal(err)
		}
	}
}
