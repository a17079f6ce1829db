package health

import "testing"

const podHead = `
apiVersion: v1
kind: Pod
metadata: {name: web-0, namespace: apps}
`

func TestComputePod(t *testing.T) {
	runCompute(t, []computeCase{
		{
			name: "running and ready",
			manifest: podHead + `
status: {phase: Running, conditions: [{type: Ready, status: "True"}]}`,
			status: Current, message: "Pod is ready",
		},
		{
			name: "succeeded with restartPolicy Never",
			manifest: podHead + `
spec: {restartPolicy: Never}
status: {phase: Succeeded, conditions: [{type: Ready, status: "False", reason: PodCompleted}]}`,
			status: Current, message: "Pod has completed successfully",
		},
		{
			name: "failed",
			manifest: podHead + `
spec: {restartPolicy: Never}
status: {phase: Failed, reason: Evicted, message: "The node was low on resource: memory."}`,
			status: Failed, message: "Pod has failed: The node was low on resource: memory.",
		},
		{
			name: "failed without message",
			manifest: podHead + `
status: {phase: Failed}`,
			status: Failed, message: "Pod has failed: no reason given",
		},
		{
			name: "crash loop",
			manifest: podHead + `
status:
  phase: Running
  conditions: [{type: Ready, status: "False", reason: ContainersNotReady}]
  containerStatuses:
  - {name: sidecar, ready: true, state: {running: {}}}
  - {name: app, ready: false, restartCount: 5, state: {waiting: {reason: CrashLoopBackOff, message: "back-off 5m0s"}}}`,
			status: Failed, message: "Pod has containers in CrashLoopBackOff: app",
		},
		{
			name: "init container crash loop",
			manifest: podHead + `
status:
  phase: Pending
  initContainerStatuses:
  - {name: migrate, state: {waiting: {reason: CrashLoopBackOff}}}`,
			status: Failed, message: "Pod has containers in CrashLoopBackOff: migrate",
		},
		{
			name: "unschedulable",
			manifest: podHead + `
status:
  phase: Pending
  conditions:
  - {type: PodScheduled, status: "False", reason: Unschedulable, message: "0/1 nodes are available: 1 node(s) didn't match Pod's node affinity/selector."}`,
			status: InProgress, message: "Pod cannot be scheduled: 0/1 nodes are available: 1 node(s) didn't match Pod's node affinity/selector.",
		},
		{
			name: "image pull back-off",
			manifest: podHead + `
status:
  phase: Pending
  containerStatuses:
  - {name: app, state: {waiting: {reason: ImagePullBackOff}}}`,
			status: InProgress, message: "Pod cannot pull the image of containers: app",
		},
		{
			name: "running not ready",
			manifest: podHead + `
status: {phase: Running, conditions: [{type: Ready, status: "False"}]}`,
			status: InProgress, message: "Pod is running but not ready",
		},
		{
			name: "no status",
			manifest: podHead + `
spec: {containers: [{name: app, image: nginx}]}`,
			status: InProgress, message: "Pod is Pending",
		},
	})
}

const jobHead = `
apiVersion: batch/v1
kind: Job
metadata: {name: migrate, namespace: apps, generation: 1}
`

func TestComputeJob(t *testing.T) {
	runCompute(t, []computeCase{
		{
			name: "complete",
			manifest: jobHead + `
spec: {completions: 1}
status: {succeeded: 1, conditions: [{type: SuccessCriteriaMet, status: "True"}, {type: Complete, status: "True"}]}`,
			status: Current, message: "Job has completed: 1 of 1 pods succeeded",
		},
		{
			name: "failed",
			manifest: jobHead + `
status: {failed: 7, conditions: [{type: Failed, status: "True", reason: BackoffLimitExceeded, message: "Job has reached the specified backoff limit"}]}`,
			status: Failed, message: "Job has failed: BackoffLimitExceeded: Job has reached the specified backoff limit",
		},
		{
			name: "suspended",
			manifest: jobHead + `
spec: {suspend: true}
status: {conditions: [{type: Suspended, status: "True", reason: JobSuspended}]}`,
			status: Current, message: "Job is suspended",
		},
		{
			name: "running",
			manifest: jobHead + `
spec: {completions: 3}
status: {active: 1, succeeded: 1, failed: 1}`,
			status: InProgress, message: "Job is running: 1 active, 1 of 3 succeeded, 1 failed",
		},
	})
}

func TestComputeCoreKinds(t *testing.T) {
	runCompute(t, []computeCase{
		{
			name: "PVC bound",
			manifest: `
apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: data, namespace: apps}
status: {phase: Bound}`,
			status: Current, message: "PersistentVolumeClaim is bound",
		},
		{
			name: "PVC pending",
			manifest: `
apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: data, namespace: apps}
status: {phase: Pending}`,
			status: InProgress, message: "PersistentVolumeClaim is not bound: phase Pending",
		},
		{
			name: "PVC lost",
			manifest: `
apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: data, namespace: apps}
status: {phase: Lost}`,
			status: Failed, message: "PersistentVolumeClaim has lost its volume",
		},
		{
			name: "ClusterIP Service",
			manifest: `
apiVersion: v1
kind: Service
metadata: {name: web, namespace: apps}
spec: {type: ClusterIP, ports: [{port: 80}]}`,
			status: Current, message: "Service is ready",
		},
		{
			name: "LoadBalancer without ingress",
			manifest: `
apiVersion: v1
kind: Service
metadata: {name: web, namespace: apps}
spec: {type: LoadBalancer}
status: {loadBalancer: {}}`,
			status: InProgress, message: "Service does not have a load balancer ingress yet",
		},
		{
			name: "LoadBalancer with ingress",
			manifest: `
apiVersion: v1
kind: Service
metadata: {name: web, namespace: apps}
spec: {type: LoadBalancer}
status: {loadBalancer: {ingress: [{ip: 203.0.113.7}]}}`,
			status: Current, message: "Service load balancer is ready",
		},
		{
			name: "Namespace active",
			manifest: `
apiVersion: v1
kind: Namespace
metadata: {name: apps}
status: {phase: Active}`,
			status: Current, message: "Namespace is active",
		},
		{
			name: "Namespace terminating",
			manifest: `
apiVersion: v1
kind: Namespace
metadata: {name: apps}
status: {phase: Terminating}`,
			status: Terminating, message: "Namespace is terminating",
		},
		{
			name: "Namespace without status",
			manifest: `
apiVersion: v1
kind: Namespace
metadata: {name: apps}`,
			status: InProgress, message: "Namespace is not active: phase unknown",
		},
		{
			name: "PDB computed",
			manifest: `
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata: {name: web, namespace: apps, generation: 1}
status: {observedGeneration: 1, currentHealthy: 2, desiredHealthy: 1, disruptionsAllowed: 1, expectedPods: 2}`,
			status: Current, message: "PodDisruptionBudget is computed: 2 of 1 pods healthy, 1 disruptions allowed",
		},
		{
			name: "PDB not computed",
			manifest: `
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata: {name: web, namespace: apps, generation: 1}
spec: {minAvailable: 1}`,
			status: InProgress, message: "PodDisruptionBudget has not been computed yet",
		},
	})
}

const crdHead = `
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: widgets.example.com, generation: 1}
`

func TestComputeCRD(t *testing.T) {
	runCompute(t, []computeCase{
		{
			name: "established",
			manifest: crdHead + `
status:
  conditions:
  - {type: NamesAccepted, status: "True", reason: NoConflicts}
  - {type: Established, status: "True", reason: InitialNamesAccepted}`,
			status: Current, message: "CustomResourceDefinition is established",
		},
		{
			name: "names accepted, not established",
			manifest: crdHead + `
status:
  conditions:
  - {type: NamesAccepted, status: "True", reason: NoConflicts}
  - {type: Established, status: "False", reason: Installing}`,
			status: InProgress, message: "CustomResourceDefinition is not established yet",
		},
		{
			name: "names conflict",
			manifest: crdHead + `
status:
  conditions:
  - {type: NamesAccepted, status: "False", reason: ListKindConflict, message: "\"WidgetList\" is already in use"}
  - {type: Established, status: "False", reason: NotAccepted}`,
			status: Failed, message: "CustomResourceDefinition names are not accepted: ListKindConflict: \"WidgetList\" is already in use",
		},
		{
			name: "no status",
			manifest: crdHead + `
spec: {group: example.com}`,
			status: InProgress, message: "CustomResourceDefinition names are not accepted yet",
		},
	})
}
