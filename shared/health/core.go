package health

import (
	"sort"
	"strings"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// pod reports a Pod by its phase, its Ready condition and crashing containers.
func pod(obj *unstructured.Unstructured, f *fields, conds []condition) Result {
	switch phase := f.str("status", "phase"); phase {
	case "Succeeded":
		return current("Pod has completed successfully")
	case "Failed":
		return failed("Pod has failed: %s", orNone(orNone(f.str("status", "message"), f.str("status", "reason")), "no reason given"))
	case "Running":
		if isTrue(conds, "Ready") {
			return current("Pod is ready")
		}
	}
	if crashing := waitingContainers(f, "CrashLoopBackOff"); len(crashing) > 0 {
		return failed("Pod has containers in CrashLoopBackOff: %s", strings.Join(crashing, ", "))
	}
	if c := find(conds, "PodScheduled"); c != nil && c.Status == "False" && c.Reason == "Unschedulable" {
		return inProgress("Pod cannot be scheduled: %s", c.Message)
	}
	if pulling := waitingContainers(f, "ImagePullBackOff", "ErrImagePull"); len(pulling) > 0 {
		return inProgress("Pod cannot pull the image of containers: %s", strings.Join(pulling, ", "))
	}
	if phase := f.str("status", "phase"); phase == "Running" {
		return inProgress("Pod is running but not ready")
	}
	return inProgress("Pod is %s", orNone(f.str("status", "phase"), "Pending"))
}

// waitingContainers returns the sorted names of the (init) containers waiting
// for one of reasons.
func waitingContainers(f *fields, reasons ...string) []string {
	var names []string
	for _, key := range []string{"initContainerStatuses", "containerStatuses"} {
		for _, item := range f.list("status", key) {
			m, ok := item.(map[string]any)
			if !ok {
				continue
			}
			reason, _, _ := unstructured.NestedString(m, "state", "waiting", "reason")
			for _, r := range reasons {
				if reason == r {
					names = append(names, str(m["name"]))
				}
			}
		}
	}
	sort.Strings(names)
	return names
}

// job reports a Job by its Complete, Failed and Suspended conditions.
func job(obj *unstructured.Unstructured, f *fields, conds []condition) Result {
	succeeded := f.int(0, "status", "succeeded")
	completions := f.int(1, "spec", "completions")
	switch {
	case isTrue(conds, "Complete"):
		return current("Job has completed: %d of %d pods succeeded", succeeded, completions)
	case isTrue(conds, "Failed"):
		return failed("%s", withReason("Job has failed", find(conds, "Failed")))
	case isTrue(conds, "Suspended"):
		return current("Job is suspended")
	}
	return inProgress("Job is running: %d active, %d of %d succeeded, %d failed",
		f.int(0, "status", "active"), succeeded, completions, f.int(0, "status", "failed"))
}

// pvc waits for a PersistentVolumeClaim to be bound.
func pvc(obj *unstructured.Unstructured, f *fields, conds []condition) Result {
	switch phase := f.str("status", "phase"); phase {
	case "Bound":
		return current("PersistentVolumeClaim is bound")
	case "Lost":
		return failed("PersistentVolumeClaim has lost its volume")
	default:
		return inProgress("PersistentVolumeClaim is not bound: phase %s", orNone(phase, "Pending"))
	}
}

// service waits for a LoadBalancer Service to get an ingress; other Services
// are ready at once.
func service(obj *unstructured.Unstructured, f *fields, conds []condition) Result {
	if f.str("spec", "type") != "LoadBalancer" {
		return current("Service is ready")
	}
	if len(f.list("status", "loadBalancer", "ingress")) == 0 {
		return inProgress("Service does not have a load balancer ingress yet")
	}
	return current("Service load balancer is ready")
}

// namespace waits for a Namespace to be Active.
func namespace(obj *unstructured.Unstructured, f *fields, conds []condition) Result {
	switch phase := f.str("status", "phase"); phase {
	case "Active":
		return current("Namespace is active")
	case "Terminating":
		return Result{Status: Terminating, Message: "Namespace is terminating"}
	default:
		return inProgress("Namespace is not active: phase %s", orNone(phase, "unknown"))
	}
}

// crd waits for a CustomResourceDefinition to be established with accepted
// names.
func crd(obj *unstructured.Unstructured, f *fields, conds []condition) Result {
	if c := find(conds, "NamesAccepted"); c != nil && c.Status == "False" {
		return failed("%s", withReason("CustomResourceDefinition names are not accepted", c))
	}
	if !isTrue(conds, "NamesAccepted") {
		return inProgress("CustomResourceDefinition names are not accepted yet")
	}
	if !isTrue(conds, "Established") {
		return inProgress("CustomResourceDefinition is not established yet")
	}
	return current("CustomResourceDefinition is established")
}

// pdb waits for the disruption controller to compute a PodDisruptionBudget.
func pdb(obj *unstructured.Unstructured, f *fields, conds []condition) Result {
	if _, ok := f.optInt("status", "observedGeneration"); !ok {
		return inProgress("PodDisruptionBudget has not been computed yet")
	}
	return current("PodDisruptionBudget is computed: %d of %d pods healthy, %d disruptions allowed",
		f.int(0, "status", "currentHealthy"), f.int(0, "status", "desiredHealthy"),
		f.int(0, "status", "disruptionsAllowed"))
}

func orNone(s, def string) string {
	if s == "" {
		return def
	}
	return s
}
