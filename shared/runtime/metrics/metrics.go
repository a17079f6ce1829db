// Package metrics records the toolkit's Prometheus metrics for reconciled objects:
// gotk_reconcile_duration_seconds, gotk_reconcile_condition and gotk_suspend_status.
package metrics

import (
	"errors"
	"fmt"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// Recorder holds the metric vectors; create one per process and register it once.
type Recorder struct {
	duration  *prometheus.HistogramVec
	condition *prometheus.GaugeVec
	suspend   *prometheus.GaugeVec
}

// NewRecorder creates the metric vectors.
func NewRecorder() *Recorder {
	return &Recorder{
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "gotk_reconcile_duration_seconds",
			Help:    "The duration in seconds of a toolkit object reconciliation.",
			Buckets: prometheus.ExponentialBuckets(10e-3, 2, 10),
		}, []string{"kind", "name", "namespace"}),
		condition: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "gotk_reconcile_condition",
			Help: "The current condition status of a toolkit object reconciliation.",
		}, []string{"kind", "name", "namespace", "type", "status"}),
		suspend: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "gotk_suspend_status",
			Help: "The current suspend status of a toolkit object.",
		}, []string{"kind", "name", "namespace"}),
	}
}

// Collectors returns the collectors to register.
func (r *Recorder) Collectors() []prometheus.Collector {
	return []prometheus.Collector{r.duration, r.condition, r.suspend}
}

// Register creates a Recorder whose collectors are registered with reg. When another
// Recorder registered them before (several managers in one test process), its collectors are
// shared.
func Register(reg prometheus.Registerer) (*Recorder, error) {
	r := NewRecorder()
	var err error
	if r.duration, err = adopt(reg, r.duration); err != nil {
		return nil, err
	}
	if r.condition, err = adopt(reg, r.condition); err != nil {
		return nil, err
	}
	if r.suspend, err = adopt(reg, r.suspend); err != nil {
		return nil, err
	}
	return r, nil
}

func adopt[C prometheus.Collector](reg prometheus.Registerer, c C) (C, error) {
	err := reg.Register(c)
	var are prometheus.AlreadyRegisteredError
	switch {
	case err == nil:
		return c, nil
	case errors.As(err, &are):
		if existing, ok := are.ExistingCollector.(C); ok {
			return existing, nil
		}
	}
	return c, fmt.Errorf("failed to register metrics: %w", err)
}

// ObjectRef names the object a metric is about.
type ObjectRef struct {
	// Kind of the object.
	Kind string
	// Name of the object.
	Name string
	// Namespace of the object.
	Namespace string
}

// RecordDuration observes the duration of one reconciliation that started at start.
func (r *Recorder) RecordDuration(ref ObjectRef, start time.Time) {
	r.duration.WithLabelValues(ref.Kind, ref.Name, ref.Namespace).Observe(time.Since(start).Seconds())
}

// RecordCondition sets the gauge of the condition's current status to 1 and the others to 0.
// A nil condition records Unknown.
func (r *Recorder) RecordCondition(ref ObjectRef, conditionType string, c *metav1.Condition) {
	current := metav1.ConditionUnknown
	if c != nil {
		current = c.Status
	}
	for _, s := range []metav1.ConditionStatus{metav1.ConditionTrue, metav1.ConditionFalse, metav1.ConditionUnknown} {
		v := 0.0
		if s == current {
			v = 1
		}
		r.condition.WithLabelValues(ref.Kind, ref.Name, ref.Namespace, conditionType, string(s)).Set(v)
	}
	r.condition.DeleteLabelValues(ref.Kind, ref.Name, ref.Namespace, conditionType, "Deleted")
}

// RecordSuspend sets the suspend gauge.
func (r *Recorder) RecordSuspend(ref ObjectRef, suspended bool) {
	v := 0.0
	if suspended {
		v = 1
	}
	r.suspend.WithLabelValues(ref.Kind, ref.Name, ref.Namespace).Set(v)
}

// Forget removes every series of a deleted object.
func (r *Recorder) Forget(ref ObjectRef) {
	labels := prometheus.Labels{"kind": ref.Kind, "name": ref.Name, "namespace": ref.Namespace}
	r.duration.DeletePartialMatch(labels)
	r.condition.DeletePartialMatch(labels)
	r.suspend.DeletePartialMatch(labels)
}
