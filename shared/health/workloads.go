package health

import (
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// deployment follows a Deployment rollout: all replicas updated, ready and
// available, and the Progressing condition reporting the new ReplicaSet.
func deployment(obj *unstructured.Unstructured, f *fields, conds []condition) Result {
	if f.bool("spec", "paused") {
		return current("Deployment is paused; its rollout is not awaited")
	}
	if c := find(conds, "Progressing"); c != nil && c.Reason == "ProgressDeadlineExceeded" {
		return failed("Deployment exceeded its progress deadline: %s", c.Message)
	}
	want := f.int(1, "spec", "replicas")
	replicas := f.int(0, "status", "replicas")
	updated := f.int(0, "status", "updatedReplicas")
	ready := f.int(0, "status", "readyReplicas")
	available := f.int(0, "status", "availableReplicas")
	switch {
	case updated < want:
		return inProgress("Deployment rollout in progress: %d of %d replicas updated", updated, want)
	case replicas > updated:
		return inProgress("Deployment rollout in progress: %d old replicas pending termination", replicas-updated)
	case available < want:
		return inProgress("Deployment does not have minimum availability: %d of %d replicas available", available, want)
	case ready < want:
		return inProgress("Deployment does not have minimum availability: %d of %d replicas ready", ready, want)
	}
	if c := find(conds, "Available"); c != nil && c.Status != "True" {
		return inProgress("%s", withReason("Deployment is not available", c))
	}
	return current("Deployment is available: %d of %d replicas ready", ready, want)
}

// statefulSet follows a StatefulSet rollout, honouring the partition of a
// rolling update and the OnDelete strategy.
func statefulSet(obj *unstructured.Unstructured, f *fields, conds []condition) Result {
	if strategy := f.str("spec", "updateStrategy", "type"); strategy == "OnDelete" {
		return current("StatefulSet uses the OnDelete update strategy; its rollout is not awaited")
	}
	want := f.int(1, "spec", "replicas")
	replicas := f.int(0, "status", "replicas")
	ready := f.int(0, "status", "readyReplicas")
	updated := f.int(0, "status", "updatedReplicas")
	if replicas < want {
		return inProgress("StatefulSet is scaling up: %d of %d replicas created", replicas, want)
	}
	if replicas > want {
		return inProgress("StatefulSet is scaling down: %d replicas pending termination", replicas-want)
	}
	if ready < want {
		return inProgress("StatefulSet does not have all replicas ready: %d of %d replicas ready", ready, want)
	}
	if partition, ok := f.optInt("spec", "updateStrategy", "rollingUpdate", "partition"); ok && partition > 0 {
		target := max(want-partition, 0)
		if updated < target {
			return inProgress("StatefulSet partitioned rollout in progress: %d of %d replicas updated", updated, target)
		}
		return current("StatefulSet partitioned rollout complete: %d of %d replicas updated", updated, target)
	}
	if updated < want {
		return inProgress("StatefulSet rollout in progress: %d of %d replicas updated", updated, want)
	}
	if cur, upd := f.str("status", "currentRevision"), f.str("status", "updateRevision"); cur != upd {
		return inProgress("StatefulSet rollout in progress: waiting for revision %s to replace %s", upd, cur)
	}
	return current("StatefulSet is ready: %d of %d replicas ready", ready, want)
}

// daemonSet follows a DaemonSet rollout over the nodes it is scheduled on.
func daemonSet(obj *unstructured.Unstructured, f *fields, conds []condition) Result {
	if _, ok := f.optInt("status", "observedGeneration"); !ok {
		return inProgress("DaemonSet status has not been observed yet")
	}
	desired, ok := f.optInt("status", "desiredNumberScheduled")
	if !ok {
		return inProgress("DaemonSet has not computed its desired number of pods yet")
	}
	scheduled := f.int(0, "status", "currentNumberScheduled")
	updated := f.int(0, "status", "updatedNumberScheduled")
	available := f.int(0, "status", "numberAvailable")
	ready := f.int(0, "status", "numberReady")
	switch {
	case scheduled < desired:
		return inProgress("DaemonSet rollout in progress: %d of %d pods scheduled", scheduled, desired)
	case updated < desired:
		return inProgress("DaemonSet rollout in progress: %d of %d pods updated", updated, desired)
	case available < desired:
		return inProgress("DaemonSet does not have minimum availability: %d of %d pods available", available, desired)
	case ready < desired:
		return inProgress("DaemonSet does not have minimum availability: %d of %d pods ready", ready, desired)
	}
	return current("DaemonSet is available: %d of %d pods ready", ready, desired)
}

// replicaSet waits for every replica of a ReplicaSet to be labelled, ready and
// available.
func replicaSet(obj *unstructured.Unstructured, f *fields, conds []condition) Result {
	if c := find(conds, "ReplicaFailure"); c != nil && c.Status == "True" {
		return inProgress("%s", withReason("ReplicaSet failed to create replicas", c))
	}
	want := f.int(1, "spec", "replicas")
	replicas := f.int(0, "status", "replicas")
	labeled := f.int(0, "status", "fullyLabeledReplicas")
	ready := f.int(0, "status", "readyReplicas")
	available := f.int(0, "status", "availableReplicas")
	switch {
	case labeled < want:
		return inProgress("ReplicaSet is scaling up: %d of %d replicas labelled", labeled, want)
	case available < want:
		return inProgress("ReplicaSet does not have minimum availability: %d of %d replicas available", available, want)
	case ready < want:
		return inProgress("ReplicaSet does not have minimum availability: %d of %d replicas ready", ready, want)
	case replicas > want:
		return inProgress("ReplicaSet is scaling down: %d replicas pending termination", replicas-want)
	}
	return current("ReplicaSet is available: %d of %d replicas ready", ready, want)
}
