package statuscheck

import "k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

// Condition returns the status, reason and message of the condition typ of an unstructured
// object, or three empty strings when it has none: how the e2e suites, which read objects as
// a user's tools do, look at conditions.
func Condition(o *unstructured.Unstructured, typ string) (status, reason, message string) {
	conds, _, _ := unstructured.NestedSlice(o.Object, "status", "conditions")
	for _, c := range conds {
		m, _ := c.(map[string]any)
		if m["type"] == typ {
			s, _ := m["status"].(string)
			r, _ := m["reason"].(string)
			msg, _ := m["message"].(string)
			return s, r, msg
		}
	}
	return "", "", ""
}
