package conditions

import (
	"fmt"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	fluxmeta "github.com/ferry-gitops/ferry/shared/api/meta"
)

// CheckInvariants returns an error describing the first kstatus rule the object's conditions
// break, or nil. The rules: Ready is present once the object was reconciled; Reconciling and
// Stalled are never both True; Stalled=True implies Ready=False; Ready=True implies neither
// Reconciling nor Stalled is present; abnormal-true conditions are only present when True;
// every condition carries a reason.
func CheckInvariants(obj fluxmeta.StatusObject) error {
	st := obj.GetObjectStatus()
	if st.ObservedGeneration <= 0 && len(st.Conditions) == 0 {
		return nil
	}
	ready := Get(obj, fluxmeta.ReadyCondition)
	if ready == nil {
		return fmt.Errorf("%s condition missing", fluxmeta.ReadyCondition)
	}
	reconciling, stalled := Get(obj, fluxmeta.ReconcilingCondition), Get(obj, fluxmeta.StalledCondition)
	for _, c := range []*metav1.Condition{reconciling, stalled} {
		if c != nil && c.Status != metav1.ConditionTrue {
			return fmt.Errorf("abnormal-true condition %s present with status %s", c.Type, c.Status)
		}
	}
	if reconciling != nil && stalled != nil {
		return fmt.Errorf("both %s and %s are True", fluxmeta.ReconcilingCondition, fluxmeta.StalledCondition)
	}
	if stalled != nil && ready.Status != metav1.ConditionFalse {
		return fmt.Errorf("%s is True but %s is %s", fluxmeta.StalledCondition, fluxmeta.ReadyCondition, ready.Status)
	}
	if ready.Status == metav1.ConditionTrue && (reconciling != nil || stalled != nil) {
		return fmt.Errorf("%s is True while %s or %s is present", fluxmeta.ReadyCondition,
			fluxmeta.ReconcilingCondition, fluxmeta.StalledCondition)
	}
	if ready.Status == metav1.ConditionTrue {
		for _, t := range fluxmeta.NegativePolarityConditions(obj) {
			if IsTrue(obj, t) {
				return fmt.Errorf("%s is True while %s, of negative polarity, is True", fluxmeta.ReadyCondition, t)
			}
		}
	}
	for _, c := range st.Conditions {
		if c.Reason == "" {
			return fmt.Errorf("condition %s has no reason", c.Type)
		}
	}
	return nil
}
