package demo

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// pollInterval is how often WaitReady looks at the cluster.
const pollInterval = 250 * time.Millisecond

// Status is what WaitReady reports of a toolkit object.
type Status struct {
	// Ready is true when the Ready condition is True for the object's current generation.
	Ready bool
	// Reason and Message are those of the Ready condition.
	Reason, Message string
	// Revision is what the object holds: the artifact revision of a source, the last applied
	// revision of a Kustomization, the chart version of a HelmRelease, the tags found by an
	// ImageRepository, the image an ImagePolicy elected, the commit an automation last saw.
	Revision string
}

// ObjectStatus reads the Ready condition and the revision of a toolkit object.
func ObjectStatus(o *unstructured.Unstructured) Status {
	var st Status
	conds, _, _ := unstructured.NestedSlice(o.Object, "status", "conditions")
	for _, c := range conds {
		m, _ := c.(map[string]any)
		if m["type"] == "Ready" {
			st.Reason, _ = m["reason"].(string)
			st.Message, _ = m["message"].(string)
			observed, _, _ := unstructured.NestedInt64(o.Object, "status", "observedGeneration")
			st.Ready = m["status"] == "True" && observed == o.GetGeneration()
		}
	}
	switch o.GetKind() {
	case "Kustomization":
		st.Revision, _, _ = unstructured.NestedString(o.Object, "status", "lastAppliedRevision")
	case "HelmRelease":
		st.Revision, _, _ = unstructured.NestedString(o.Object, "status", "lastAttemptedRevision")
	case "ImageRepository":
		if n, ok, _ := unstructured.NestedInt64(o.Object, "status", "lastScanResult", "tagCount"); ok {
			st.Revision = fmt.Sprintf("%d tags", n)
		}
	case "ImagePolicy":
		st.Revision, _, _ = unstructured.NestedString(o.Object, "status", "latestImage")
	case "ImageUpdateAutomation":
		st.Revision, _, _ = unstructured.NestedString(o.Object, "status", "observedSourceRevision")
	default:
		st.Revision, _, _ = unstructured.NestedString(o.Object, "status", "artifact", "revision")
	}
	return st
}

// DeploymentAvailable reports whether d has rolled out: every wanted replica updated and
// available, for its current generation.
func DeploymentAvailable(d *appsv1.Deployment) bool {
	want := int32(1)
	if d.Spec.Replicas != nil {
		want = *d.Spec.Replicas
	}
	return d.Status.ObservedGeneration == d.Generation && d.Status.UpdatedReplicas == want &&
		d.Status.AvailableReplicas == want && d.Status.Replicas == want
}

// WaitReady waits until every object of the demo is Ready and every Deployment of
// Deployments has rolled out, printing to progress each object as it becomes Ready (with
// its revision) and each change of the reason it is not. It returns an error naming what
// is not ready when ctx ends first.
func (w *World) WaitReady(ctx context.Context, c client.Client, progress io.Writer) error {
	seen := map[string]string{}
	tick := time.NewTicker(pollInterval)
	defer tick.Stop()
	for {
		pending := w.pollObjects(ctx, c, progress, seen)
		pending = append(pending, pollDeployments(ctx, c, progress, seen)...)
		if len(pending) == 0 {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("failed to see the demo ready: %w; still waiting for %s", ctx.Err(), strings.Join(pending, "; "))
		case <-tick.C:
		}
	}
}

// pollObjects reads every object, reports what changed since seen, and returns a
// description of each one that is not Ready.
func (w *World) pollObjects(ctx context.Context, c client.Client, progress io.Writer, seen map[string]string) []string {
	var pending []string
	for _, o := range w.Objects {
		id := fmt.Sprintf("%s %s/%s", o.GetKind(), o.GetNamespace(), o.GetName())
		cur := &unstructured.Unstructured{}
		cur.SetGroupVersionKind(o.GroupVersionKind())
		if err := c.Get(ctx, client.ObjectKeyFromObject(o), cur); err != nil {
			pending = append(pending, fmt.Sprintf("%s: %v", id, err))
			continue
		}
		st := ObjectStatus(cur)
		line := fmt.Sprintf("  … %-40s %s: %s", id, st.Reason, st.Message)
		if st.Ready {
			line = fmt.Sprintf("  ✓ %-40s Ready  %s", id, st.Revision)
		} else {
			pending = append(pending, fmt.Sprintf("%s: %s: %s", id, st.Reason, st.Message))
		}
		if st.Reason != "" && seen[id] != line {
			seen[id] = line
			fmt.Fprintln(progress, line)
		}
	}
	return pending
}

// pollDeployments reads every Deployment of Deployments, reports those newly available,
// and returns a description of each one that is not.
func pollDeployments(ctx context.Context, c client.Client, progress io.Writer, seen map[string]string) []string {
	var pending []string
	for _, key := range Deployments {
		id := "Deployment " + key.String()
		d := &appsv1.Deployment{}
		if err := c.Get(ctx, key, d); err != nil {
			if apierrors.IsNotFound(err) {
				err = errors.New("not created yet")
			}
			pending = append(pending, fmt.Sprintf("%s: %v", id, err))
			continue
		}
		if !DeploymentAvailable(d) {
			pending = append(pending, fmt.Sprintf("%s: %d/%d available", id, d.Status.AvailableReplicas, d.Status.Replicas))
			continue
		}
		line := fmt.Sprintf("  ✓ %-40s Available  %d/%d replicas", id, d.Status.AvailableReplicas, d.Status.Replicas)
		if seen[id] != line {
			seen[id] = line
			fmt.Fprintln(progress, line)
		}
	}
	return pending
}
