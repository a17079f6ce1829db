package reconcile

import (
	"fmt"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	fluxmeta "github.com/ferry-gitops/ferry/shared/api/meta"
	"github.com/ferry-gitops/ferry/shared/runtime/conditions"
)

// summarize sets Ready, Reconciling and Stalled from the outcome with kstatus rules and stamps
// status.observedGeneration:
//   - done:      Ready=True; Reconciling, Stalled and the kind's negative-polarity
//     conditions removed.
//   - stalled:   Stalled=True and Ready=False with the reason; Reconciling removed.
//   - waiting:   Ready=False with the reason; Reconciling=True (Progressing); Stalled removed.
//   - transient: Ready=False with the reason; Reconciling=True (ProgressingWithRetry); Stalled removed.
func summarize(obj Object, res Result) {
	msg := res.message()
	switch {
	case res.IsDone():
		conditions.MarkTrue(obj, fluxmeta.ReadyCondition, res.Reason, msg)
		conditions.Delete(obj, fluxmeta.ReconcilingCondition)
		conditions.Delete(obj, fluxmeta.StalledCondition)
		for _, t := range fluxmeta.NegativePolarityConditions(obj) {
			conditions.Delete(obj, t)
		}
	case res.IsStalled():
		conditions.MarkTrue(obj, fluxmeta.StalledCondition, res.Reason, msg)
		conditions.MarkFalse(obj, fluxmeta.ReadyCondition, res.Reason, msg)
		conditions.Delete(obj, fluxmeta.ReconcilingCondition)
	case res.IsWaiting():
		conditions.MarkFalse(obj, fluxmeta.ReadyCondition, res.Reason, msg)
		conditions.MarkTrue(obj, fluxmeta.ReconcilingCondition, fluxmeta.ProgressingReason, msg)
		conditions.Delete(obj, fluxmeta.StalledCondition)
	default:
		conditions.MarkFalse(obj, fluxmeta.ReadyCondition, res.Reason, msg)
		conditions.MarkTrue(obj, fluxmeta.ReconcilingCondition, fluxmeta.ProgressingWithRetryReason,
			fmt.Sprintf("retrying after failure: %s", msg))
		conditions.Delete(obj, fluxmeta.StalledCondition)
	}
	obj.GetObjectStatus().ObservedGeneration = obj.GetGeneration()
}

// readyState is the part of a Ready condition whose change is worth an event.
type readyState struct {
	status  metav1.ConditionStatus
	reason  string
	message string
}

func readyCondition(obj Object) *metav1.Condition {
	return conditions.Get(obj, fluxmeta.ReadyCondition)
}

func (p *readyState) equal(c *metav1.Condition) bool {
	return p.status == c.Status && p.reason == c.Reason && p.message == c.Message
}

func snapshotReady(obj Object) *readyState {
	c := readyCondition(obj)
	if c == nil {
		return nil
	}
	return &readyState{status: c.Status, reason: c.Reason, message: c.Message}
}
