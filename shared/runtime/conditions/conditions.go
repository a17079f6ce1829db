// Package conditions reads and writes the metav1.Condition lists of toolkit objects and
// summarises them with kstatus semantics.
package conditions

import (
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	fluxmeta "github.com/ferry-gitops/ferry/shared/api/meta"
)

// Get returns the condition of the given type, or nil.
func Get(obj fluxmeta.StatusObject, conditionType string) *metav1.Condition {
	return meta.FindStatusCondition(obj.GetObjectStatus().Conditions, conditionType)
}

// IsTrue reports whether the condition of the given type is present and True.
func IsTrue(obj fluxmeta.StatusObject, conditionType string) bool {
	return meta.IsStatusConditionTrue(obj.GetObjectStatus().Conditions, conditionType)
}

// IsReady reports whether the object is Ready for its current generation: Ready=True,
// and both status.observedGeneration and the Ready condition's observedGeneration match
// metadata.generation.
func IsReady(obj fluxmeta.StatusObject) bool {
	c := Get(obj, fluxmeta.ReadyCondition)
	st := obj.GetObjectStatus()
	return c != nil && c.Status == metav1.ConditionTrue &&
		st.ObservedGeneration == obj.GetGeneration() && c.ObservedGeneration == obj.GetGeneration()
}

// Set sets a condition, keeping lastTransitionTime when the status does not change. The
// condition's observedGeneration is the object's generation.
func Set(obj fluxmeta.StatusObject, conditionType string, status metav1.ConditionStatus, reason, message string) {
	meta.SetStatusCondition(&obj.GetObjectStatus().Conditions, metav1.Condition{
		Type:               conditionType,
		Status:             status,
		Reason:             reason,
		Message:            message,
		ObservedGeneration: obj.GetGeneration(),
	})
}

// MarkTrue sets a condition to True.
func MarkTrue(obj fluxmeta.StatusObject, conditionType, reason, message string) {
	Set(obj, conditionType, metav1.ConditionTrue, reason, message)
}

// MarkFalse sets a condition to False.
func MarkFalse(obj fluxmeta.StatusObject, conditionType, reason, message string) {
	Set(obj, conditionType, metav1.ConditionFalse, reason, message)
}

// MarkUnknown sets a condition to Unknown.
func MarkUnknown(obj fluxmeta.StatusObject, conditionType, reason, message string) {
	Set(obj, conditionType, metav1.ConditionUnknown, reason, message)
}

// Delete removes a condition.
func Delete(obj fluxmeta.StatusObject, conditionType string) {
	meta.RemoveStatusCondition(&obj.GetObjectStatus().Conditions, conditionType)
}
