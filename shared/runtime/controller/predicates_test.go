package controller

import (
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/event"
)

func TestLifecycle(t *testing.T) {
	cm := func(v string) *corev1.ConfigMap {
		return &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "a"}, Data: map[string]string{"v": v}}
	}
	changed := Lifecycle(func(o, n *corev1.ConfigMap) bool { return o.Data["v"] != n.Data["v"] })
	if !changed.Create(event.CreateEvent{Object: cm("1")}) || !changed.Delete(event.DeleteEvent{Object: cm("1")}) {
		t.Error("creations and deletions must pass")
	}
	if changed.Generic(event.GenericEvent{Object: cm("1")}) {
		t.Error("generic events must not pass")
	}
	if !changed.Update(event.UpdateEvent{ObjectOld: cm("1"), ObjectNew: cm("2")}) {
		t.Error("an update the function picks must pass")
	}
	if changed.Update(event.UpdateEvent{ObjectOld: cm("1"), ObjectNew: cm("1")}) {
		t.Error("an update the function does not pick must not pass")
	}
	if changed.Update(event.UpdateEvent{ObjectOld: &corev1.Secret{}, ObjectNew: &corev1.Secret{}}) {
		t.Error("an update of another type must not pass")
	}
	if Lifecycle[*corev1.ConfigMap](nil).Update(event.UpdateEvent{ObjectOld: cm("1"), ObjectNew: cm("2")}) {
		t.Error("without a function no update passes")
	}
}

func TestDeletedAndAnnotationChanged(t *testing.T) {
	obj := func(a string) *corev1.ConfigMap {
		return &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "a", Annotations: map[string]string{"k": a}}}
	}
	if d := Deleted(); d.Create(event.CreateEvent{Object: obj("")}) || d.Update(event.UpdateEvent{ObjectOld: obj("1"), ObjectNew: obj("2")}) ||
		!d.Delete(event.DeleteEvent{Object: obj("")}) {
		t.Error("Deleted passes deletions only")
	}
	a := AnnotationChanged("k")
	if !a.Update(event.UpdateEvent{ObjectOld: obj("1"), ObjectNew: obj("2")}) || a.Update(event.UpdateEvent{ObjectOld: obj("1"), ObjectNew: obj("1")}) {
		t.Error("AnnotationChanged passes a change of the annotation only")
	}
	if a.Create(event.CreateEvent{Object: obj("1")}) || a.Delete(event.DeleteEvent{Object: obj("1")}) {
		t.Error("AnnotationChanged passes updates only")
	}
}
