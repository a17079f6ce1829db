// Package health computes the kstatus-style readiness of any Kubernetes object
// and waits until a set of objects is ready.
package health

import (
	"fmt"
	"strings"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// Status is the readiness of an object, with kstatus's names and meaning.
type Status string

const (
	// InProgress means the object is still moving towards its desired state.
	InProgress Status = "InProgress"
	// Failed means the object cannot reach its desired state without a change.
	Failed Status = "Failed"
	// Current means the object has reached its desired state.
	Current Status = "Current"
	// Terminating means the object is being deleted.
	Terminating Status = "Terminating"
	// NotFound means the object does not exist.
	NotFound Status = "NotFound"
	// Unknown means the readiness of the object could not be computed.
	Unknown Status = "Unknown"
)

// Result is the readiness of one object and a message a user understands.
type Result struct {
	// Status is the readiness of the object.
	Status Status
	// Message explains the status.
	Message string
}

// String returns the status and message on one line.
func (r Result) String() string {
	if r.Message == "" {
		return string(r.Status)
	}
	return fmt.Sprintf("%s: %s", r.Status, r.Message)
}

func inProgress(format string, args ...any) Result {
	return Result{Status: InProgress, Message: fmt.Sprintf(format, args...)}
}

func failed(format string, args ...any) Result {
	return Result{Status: Failed, Message: fmt.Sprintf(format, args...)}
}

func current(format string, args ...any) Result {
	return Result{Status: Current, Message: fmt.Sprintf(format, args...)}
}

// condition is one entry of status.conditions.
type condition struct {
	Type, Status, Reason, Message string
}

// conditions returns the status.conditions of obj; entries that are not
// objects are skipped.
func conditions(obj *unstructured.Unstructured) ([]condition, error) {
	raw, found, err := unstructured.NestedFieldNoCopy(obj.Object, "status", "conditions")
	if err != nil || !found || raw == nil {
		return nil, err
	}
	list, ok := raw.([]any)
	if !ok {
		return nil, fmt.Errorf("failed to read status.conditions: expected a list, got %T", raw)
	}
	out := make([]condition, 0, len(list))
	for _, item := range list {
		m, ok := item.(map[string]any)
		if !ok {
			continue
		}
		out = append(out, condition{
			Type:    str(m["type"]),
			Status:  str(m["status"]),
			Reason:  str(m["reason"]),
			Message: str(m["message"]),
		})
	}
	return out, nil
}

// find returns the condition of type t, or nil.
func find(conds []condition, t string) *condition {
	for i := range conds {
		if conds[i].Type == t {
			return &conds[i]
		}
	}
	return nil
}

// isTrue reports whether the condition of type t has status True.
func isTrue(conds []condition, t string) bool {
	c := find(conds, t)
	return c != nil && c.Status == "True"
}

func str(v any) string {
	s, _ := v.(string)
	return s
}

// integer reads an integer field, accepting the int64 of decoded JSON as well
// as int and float64 of hand-built or differently decoded objects.
func integer(obj map[string]any, fields ...string) (int64, bool, error) {
	v, found, err := unstructured.NestedFieldNoCopy(obj, fields...)
	if err != nil || !found || v == nil {
		return 0, false, err
	}
	switch n := v.(type) {
	case int64:
		return n, true, nil
	case int:
		return int64(n), true, nil
	case int32:
		return int64(n), true, nil
	case float64:
		return int64(n), true, nil
	}
	return 0, false, fmt.Errorf("failed to read %s: expected an integer, got %T", strings.Join(fields, "."), v)
}
