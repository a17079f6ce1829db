package health

import (
	"fmt"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// kindRule computes the readiness of one built-in kind once the generic rules
// have found nothing to report.
type kindRule func(obj *unstructured.Unstructured, f *fields, conds []condition) Result

// builtin maps the built-in kinds to their rules.
var builtin = map[schema.GroupKind]kindRule{
	{Group: "apps", Kind: "Deployment"}:                               deployment,
	{Group: "apps", Kind: "StatefulSet"}:                              statefulSet,
	{Group: "apps", Kind: "DaemonSet"}:                                daemonSet,
	{Group: "apps", Kind: "ReplicaSet"}:                               replicaSet,
	{Group: "", Kind: "Pod"}:                                          pod,
	{Group: "batch", Kind: "Job"}:                                     job,
	{Group: "", Kind: "PersistentVolumeClaim"}:                        pvc,
	{Group: "", Kind: "Service"}:                                      service,
	{Group: "", Kind: "Namespace"}:                                    namespace,
	{Group: "apiextensions.k8s.io", Kind: "CustomResourceDefinition"}: crd,
	{Group: "policy", Kind: "PodDisruptionBudget"}:                    pdb,
}

// Compute returns the readiness of obj. Generic rules come first: a deletion
// timestamp means Terminating, an observedGeneration behind the generation
// means InProgress, Reconciling=True means InProgress and Stalled=True means
// Failed. Built-in kinds then follow their own rules, and any other object is
// Current when its Ready condition is True or when it has no Ready condition,
// and InProgress while Ready is False or Unknown. An error means a status
// field has an unexpected type; the result is then Unknown.
func Compute(obj *unstructured.Unstructured) (Result, error) {
	kind := obj.GetKind()
	if obj.GetDeletionTimestamp() != nil {
		return Result{Status: Terminating, Message: fmt.Sprintf("%s is being deleted", kind)}, nil
	}
	f := &fields{obj: obj.Object}
	if observed, ok := f.optInt("status", "observedGeneration"); ok && observed < obj.GetGeneration() {
		return inProgress("%s generation is %d, but the latest observed generation is %d",
			kind, obj.GetGeneration(), observed), nil
	}
	conds, err := conditions(obj)
	if err != nil {
		return unknown(err)
	}
	if c := find(conds, "Reconciling"); c != nil && c.Status == "True" {
		return inProgress("%s", withReason("reconciling", c)), nil
	}
	if c := find(conds, "Stalled"); c != nil && c.Status == "True" {
		return failed("%s", withReason("stalled", c)), nil
	}
	if rule, ok := builtin[obj.GroupVersionKind().GroupKind()]; ok {
		res := rule(obj, f, conds)
		if f.err != nil {
			return unknown(f.err)
		}
		return res, nil
	}
	if f.err != nil {
		return unknown(f.err)
	}
	if c := find(conds, "Ready"); c != nil {
		if c.Status == "True" {
			return current("%s", withReason("ready", c)), nil
		}
		return inProgress("%s", withReason("not ready", c)), nil
	}
	return current("%s is current", kind), nil
}

func unknown(err error) (Result, error) {
	return Result{Status: Unknown, Message: err.Error()}, err
}

// withReason phrases a condition for a message: "stalled: reason: message".
func withReason(what string, c *condition) string {
	msg := what
	if c.Reason != "" {
		msg += ": " + c.Reason
	}
	if c.Message != "" {
		msg += ": " + c.Message
	}
	return msg
}

// fields reads typed fields of an object and keeps the first type error, so
// that kind rules read as plain arithmetic.
type fields struct {
	obj map[string]any
	err error
}

// int returns the integer at path, or def when it is absent.
func (f *fields) int(def int64, path ...string) int64 {
	if v, ok := f.optInt(path...); ok {
		return v
	}
	return def
}

// optInt returns the integer at path and whether it is present.
func (f *fields) optInt(path ...string) (int64, bool) {
	v, found, err := integer(f.obj, path...)
	if err != nil && f.err == nil {
		f.err = err
	}
	return v, found
}

// str returns the string at path, or "" when it is absent.
func (f *fields) str(path ...string) string {
	v, _, err := unstructured.NestedString(f.obj, path...)
	if err != nil && f.err == nil {
		f.err = fmt.Errorf("failed to read %v: %w", path, err)
	}
	return v
}

// bool returns the boolean at path, or false when it is absent.
func (f *fields) bool(path ...string) bool {
	v, _, err := unstructured.NestedBool(f.obj, path...)
	if err != nil && f.err == nil {
		f.err = fmt.Errorf("failed to read %v: %w", path, err)
	}
	return v
}

// list returns the list at path, or nil when it is absent.
func (f *fields) list(path ...string) []any {
	v, found, err := unstructured.NestedFieldNoCopy(f.obj, path...)
	if err != nil || !found || v == nil {
		return nil
	}
	l, ok := v.([]any)
	if !ok && f.err == nil {
		f.err = fmt.Errorf("failed to read %v: expected a list, got %T", path, v)
	}
	return l
}
