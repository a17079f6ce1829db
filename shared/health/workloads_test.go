package health

import "testing"

const deploymentHead = `
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: apps, generation: 2}
`

func TestComputeDeployment(t *testing.T) {
	runCompute(t, []computeCase{
		{
			name: "rolled out",
			manifest: deploymentHead + `
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
			status: Current, message: "Deployment is available: 2 of 2 replicas ready",
		},
		{
			name: "not yet observed",
			manifest: deploymentHead + `
spec: {replicas: 2}
status: {observedGeneration: 1, replicas: 2, updatedReplicas: 2, readyReplicas: 2, availableReplicas: 2}`,
			status: InProgress, message: "Deployment generation is 2, but the latest observed generation is 1",
		},
		{
			name: "fresh without status",
			manifest: deploymentHead + `
spec: {template: {}}`,
			status: InProgress, message: "Deployment rollout in progress: 0 of 1 replicas updated",
		},
		{
			name: "old replicas pending termination",
			manifest: deploymentHead + `
spec: {replicas: 2}
status: {observedGeneration: 2, replicas: 3, updatedReplicas: 2, readyReplicas: 2, availableReplicas: 2}`,
			status: InProgress, message: "Deployment rollout in progress: 1 old replicas pending termination",
		},
		{
			name: "not available",
			manifest: deploymentHead + `
spec: {replicas: 2}
status: {observedGeneration: 2, replicas: 2, updatedReplicas: 2, readyReplicas: 1, availableReplicas: 1}`,
			status: InProgress, message: "Deployment does not have minimum availability: 1 of 2 replicas available",
		},
		{
			name: "ready but not yet available",
			manifest: deploymentHead + `
spec: {replicas: 2, minReadySeconds: 30}
status: {observedGeneration: 2, replicas: 2, updatedReplicas: 2, readyReplicas: 1, availableReplicas: 2}`,
			status: InProgress, message: "Deployment does not have minimum availability: 1 of 2 replicas ready",
		},
		{
			name: "Available condition False",
			manifest: deploymentHead + `
spec: {replicas: 1}
status:
  observedGeneration: 2
  replicas: 1
  updatedReplicas: 1
  readyReplicas: 1
  availableReplicas: 1
  conditions:
  - {type: Available, status: "False", reason: MinimumReplicasUnavailable, message: "Deployment does not have minimum availability."}`,
			status: InProgress, message: "Deployment is not available: MinimumReplicasUnavailable: Deployment does not have minimum availability.",
		},
		{
			name: "progress deadline exceeded",
			manifest: deploymentHead + `
spec: {replicas: 2, progressDeadlineSeconds: 1}
status:
  observedGeneration: 2
  replicas: 2
  updatedReplicas: 2
  unavailableReplicas: 2
  conditions:
  - {type: Progressing, status: "False", reason: ProgressDeadlineExceeded, message: "ReplicaSet \"web-5d8f\" has timed out progressing."}`,
			status: Failed, message: "Deployment exceeded its progress deadline: ReplicaSet \"web-5d8f\" has timed out progressing.",
		},
		{
			name: "paused",
			manifest: deploymentHead + `
spec: {replicas: 2, paused: true}
status: {observedGeneration: 2, replicas: 2, updatedReplicas: 0}`,
			status: Current, message: "Deployment is paused; its rollout is not awaited",
		},
		{
			name: "scaled to zero",
			manifest: deploymentHead + `
spec: {replicas: 0}
status: {observedGeneration: 2}`,
			status: Current, message: "Deployment is available: 0 of 0 replicas ready",
		},
	})
}

const statefulSetHead = `
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: db, namespace: apps, generation: 4}
`

func TestComputeStatefulSet(t *testing.T) {
	runCompute(t, []computeCase{
		{
			name: "rolled out",
			manifest: statefulSetHead + `
spec: {replicas: 3}
status: {observedGeneration: 4, replicas: 3, readyReplicas: 3, currentReplicas: 3, updatedReplicas: 3, currentRevision: db-7c, updateRevision: db-7c}`,
			status: Current, message: "StatefulSet is ready: 3 of 3 replicas ready",
		},
		{
			name: "scaling up",
			manifest: statefulSetHead + `
spec: {replicas: 3}
status: {observedGeneration: 4, replicas: 1, readyReplicas: 1}`,
			status: InProgress, message: "StatefulSet is scaling up: 1 of 3 replicas created",
		},
		{
			name: "scaling down",
			manifest: statefulSetHead + `
spec: {replicas: 1}
status: {observedGeneration: 4, replicas: 3, readyReplicas: 3}`,
			status: InProgress, message: "StatefulSet is scaling down: 2 replicas pending termination",
		},
		{
			name: "not ready",
			manifest: statefulSetHead + `
spec: {replicas: 3}
status: {observedGeneration: 4, replicas: 3, readyReplicas: 2}`,
			status: InProgress, message: "StatefulSet does not have all replicas ready: 2 of 3 replicas ready",
		},
		{
			name: "revision rolling",
			manifest: statefulSetHead + `
spec: {replicas: 3}
status: {observedGeneration: 4, replicas: 3, readyReplicas: 3, updatedReplicas: 1, currentRevision: db-6b, updateRevision: db-7c}`,
			status: InProgress, message: "StatefulSet rollout in progress: 1 of 3 replicas updated",
		},
		{
			name: "revisions differ",
			manifest: statefulSetHead + `
spec: {replicas: 3}
status: {observedGeneration: 4, replicas: 3, readyReplicas: 3, updatedReplicas: 3, currentRevision: db-6b, updateRevision: db-7c}`,
			status: InProgress, message: "StatefulSet rollout in progress: waiting for revision db-7c to replace db-6b",
		},
		{
			name: "partition in progress",
			manifest: statefulSetHead + `
spec: {replicas: 3, updateStrategy: {type: RollingUpdate, rollingUpdate: {partition: 1}}}
status: {observedGeneration: 4, replicas: 3, readyReplicas: 3, updatedReplicas: 1, currentRevision: db-6b, updateRevision: db-7c}`,
			status: InProgress, message: "StatefulSet partitioned rollout in progress: 1 of 2 replicas updated",
		},
		{
			name: "partition complete",
			manifest: statefulSetHead + `
spec: {replicas: 3, updateStrategy: {type: RollingUpdate, rollingUpdate: {partition: 1}}}
status: {observedGeneration: 4, replicas: 3, readyReplicas: 3, updatedReplicas: 2, currentRevision: db-6b, updateRevision: db-7c}`,
			status: Current, message: "StatefulSet partitioned rollout complete: 2 of 2 replicas updated",
		},
		{
			name: "OnDelete",
			manifest: statefulSetHead + `
spec: {replicas: 3, updateStrategy: {type: OnDelete}}
status: {observedGeneration: 4, replicas: 3}`,
			status: Current, message: "StatefulSet uses the OnDelete update strategy; its rollout is not awaited",
		},
	})
}

const daemonSetHead = `
apiVersion: apps/v1
kind: DaemonSet
metadata: {name: agent, namespace: kube-system, generation: 1}
`

func TestComputeDaemonSet(t *testing.T) {
	runCompute(t, []computeCase{
		{
			name: "rolled out",
			manifest: daemonSetHead + `
status: {observedGeneration: 1, desiredNumberScheduled: 3, currentNumberScheduled: 3, updatedNumberScheduled: 3, numberAvailable: 3, numberReady: 3}`,
			status: Current, message: "DaemonSet is available: 3 of 3 pods ready",
		},
		{
			name: "not observed",
			manifest: daemonSetHead + `
spec: {}`,
			status: InProgress, message: "DaemonSet status has not been observed yet",
		},
		{
			name: "desired unknown",
			manifest: daemonSetHead + `
status: {observedGeneration: 1}`,
			status: InProgress, message: "DaemonSet has not computed its desired number of pods yet",
		},
		{
			name: "scheduling",
			manifest: daemonSetHead + `
status: {observedGeneration: 1, desiredNumberScheduled: 3, currentNumberScheduled: 2}`,
			status: InProgress, message: "DaemonSet rollout in progress: 2 of 3 pods scheduled",
		},
		{
			name: "updating",
			manifest: daemonSetHead + `
status: {observedGeneration: 1, desiredNumberScheduled: 3, currentNumberScheduled: 3, updatedNumberScheduled: 1}`,
			status: InProgress, message: "DaemonSet rollout in progress: 1 of 3 pods updated",
		},
		{
			name: "unavailable",
			manifest: daemonSetHead + `
status: {observedGeneration: 1, desiredNumberScheduled: 3, currentNumberScheduled: 3, updatedNumberScheduled: 3, numberAvailable: 2, numberReady: 3}`,
			status: InProgress, message: "DaemonSet does not have minimum availability: 2 of 3 pods available",
		},
		{
			name: "not ready",
			manifest: daemonSetHead + `
status: {observedGeneration: 1, desiredNumberScheduled: 3, currentNumberScheduled: 3, updatedNumberScheduled: 3, numberAvailable: 3, numberReady: 2}`,
			status: InProgress, message: "DaemonSet does not have minimum availability: 2 of 3 pods ready",
		},
	})
}

const replicaSetHead = `
apiVersion: apps/v1
kind: ReplicaSet
metadata: {name: web-5d8f, namespace: apps, generation: 1}
`

func TestComputeReplicaSet(t *testing.T) {
	runCompute(t, []computeCase{
		{
			name: "available",
			manifest: replicaSetHead + `
spec: {replicas: 2}
status: {observedGeneration: 1, replicas: 2, fullyLabeledReplicas: 2, readyReplicas: 2, availableReplicas: 2}`,
			status: Current, message: "ReplicaSet is available: 2 of 2 replicas ready",
		},
		{
			name: "replica failure",
			manifest: replicaSetHead + `
spec: {replicas: 2}
status:
  observedGeneration: 1
  conditions:
  - {type: ReplicaFailure, status: "True", reason: FailedCreate, message: "pods \"web\" is forbidden: exceeded quota"}`,
			status: InProgress, message: "ReplicaSet failed to create replicas: FailedCreate: pods \"web\" is forbidden: exceeded quota",
		},
		{
			name: "scaling up",
			manifest: replicaSetHead + `
spec: {replicas: 2}
status: {observedGeneration: 1, replicas: 1, fullyLabeledReplicas: 1}`,
			status: InProgress, message: "ReplicaSet is scaling up: 1 of 2 replicas labelled",
		},
		{
			name: "unavailable",
			manifest: replicaSetHead + `
spec: {replicas: 2}
status: {observedGeneration: 1, replicas: 2, fullyLabeledReplicas: 2, readyReplicas: 2, availableReplicas: 1}`,
			status: InProgress, message: "ReplicaSet does not have minimum availability: 1 of 2 replicas available",
		},
		{
			name: "not ready",
			manifest: replicaSetHead + `
spec: {replicas: 2}
status: {observedGeneration: 1, replicas: 2, fullyLabeledReplicas: 2, readyReplicas: 1, availableReplicas: 2}`,
			status: InProgress, message: "ReplicaSet does not have minimum availability: 1 of 2 replicas ready",
		},
		{
			name: "scaling down",
			manifest: replicaSetHead + `
spec: {replicas: 1}
status: {observedGeneration: 1, replicas: 2, fullyLabeledReplicas: 2, readyReplicas: 2, availableReplicas: 2}`,
			status: InProgress, message: "ReplicaSet is scaling down: 1 replicas pending termination",
		},
	})
}
