package helmrelease

import (
	"context"
	"fmt"

	"helm.sh/helm/v3/pkg/release"
	corev1 "k8s.io/api/core/v1"

	helmv2 "github.com/ferry-gitops/ferry/shared/api/helm/v2"
	"github.com/ferry-gitops/ferry/shared/runtime/conditions"
	"github.com/ferry-gitops/ferry/shared/runtime/reconcile"
)

// detectDrift compares an up-to-date release with the cluster when spec.driftDetection asks
// for it: warn mode reports the drift in the Drifted condition, enabled mode re-applies the
// drifted objects without a new revision.
func (st *state) detectDrift(ctx context.Context, s *reconcile.Scope[*helmv2.HelmRelease], cur *release.Release) reconcile.Result {
	obj := s.Obj
	dd := obj.GetDriftDetection()
	if !dd.MustDetectChanges() {
		conditions.Delete(obj, helmv2.DriftedCondition)
		return reconcile.Done("", "")
	}
	d, err := st.helm.Drift(ctx, cur, dd.Ignore)
	if err != nil {
		return reconcile.Transient(helmv2.ReconciliationFailedReason, err)
	}
	if !d.Detected() {
		if !conditions.IsTrue(obj, helmv2.DriftedCondition) && conditions.Get(obj, helmv2.DriftedCondition) != nil {
			return reconcile.Done("", "") // keep the message of the last correction
		}
		conditions.MarkFalse(obj, helmv2.DriftedCondition, helmv2.NoDriftDetectedReason,
			fmt.Sprintf("No drift detected for release %s", describe(cur)))
		return reconcile.Done("", "")
	}
	msg := d.String()
	if dd.GetMode() == helmv2.DriftDetectionWarn {
		if c := conditions.Get(obj, helmv2.DriftedCondition); c == nil || c.Message != msg {
			s.Event(corev1.EventTypeWarning, helmv2.DriftDetectedReason, msg)
		}
		conditions.MarkTrue(obj, helmv2.DriftedCondition, helmv2.DriftDetectedReason, msg)
		return reconcile.Done("", "")
	}
	if _, err := st.helm.CorrectDrift(ctx, d); err != nil {
		conditions.MarkTrue(obj, helmv2.DriftedCondition, helmv2.DriftDetectedReason, msg)
		return reconcile.Transient(helmv2.DriftDetectedReason, err)
	}
	corrected := "Cluster state corrected: " + msg
	s.Event(corev1.EventTypeNormal, helmv2.DriftDetectedReason, corrected)
	conditions.MarkFalse(obj, helmv2.DriftedCondition, helmv2.NoDriftDetectedReason, corrected)
	return reconcile.Done("", "")
}
