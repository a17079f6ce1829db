package reconcile_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"

	fluxmeta "github.com/ferry-gitops/ferry/shared/api/meta"
	"github.com/ferry-gitops/ferry/shared/runtime/conditions"
	"github.com/ferry-gitops/ferry/shared/runtime/dependency"
	"github.com/ferry-gitops/ferry/shared/runtime/reconcile"
)

// Widget is the test kind: its spec says what its one step does.
type Widget struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`
	Spec              WidgetSpec   `json:"spec,omitempty"`
	Status            WidgetStatus `json:"status,omitempty"`
}

// WidgetSpec asks for an outcome.
type WidgetSpec struct {
	Suspend   bool                           `json:"suspend,omitempty"`
	Outcome   string                         `json:"outcome,omitempty"`
	DependsOn []fluxmeta.DependencyReference `json:"dependsOn,omitempty"`
}

// WidgetStatus is the shared status only.
type WidgetStatus struct {
	fluxmeta.ObjectStatus `json:",inline"`
}

func (w *Widget) GetObjectStatus() *fluxmeta.ObjectStatus      { return &w.Status.ObjectStatus }
func (w *Widget) IsSuspended() bool                            { return w.Spec.Suspend }
func (w *Widget) NegativePolarityConditions() []string         { return []string{brokenCondition} }
func (w *Widget) GetDependsOn() []fluxmeta.DependencyReference { return w.Spec.DependsOn }
func (w *Widget) DeepCopyObject() runtime.Object               { return deepCopy(w, &Widget{}) }
func (l *WidgetList) DeepCopyObject() runtime.Object           { return deepCopy(l, &WidgetList{}) }
func (w *Widget) GetObjectKind() schema.ObjectKind             { return &w.TypeMeta }
func (l *WidgetList) GetObjectKind() schema.ObjectKind         { return &l.TypeMeta }
func deepCopy[T any](in T, out T) T                            { b, _ := json.Marshal(in); _ = json.Unmarshal(b, out); return out }
func addWidgets(s *runtime.Scheme) error {
	s.AddKnownTypes(widgetGV, &Widget{}, &WidgetList{})
	metav1.AddToGroupVersion(s, widgetGV)
	return nil
}
func newWidget() *Widget { return &Widget{} }

var widgetGV = schema.GroupVersion{Group: "test.ferry.dev", Version: "v1"}

// widgetDependencies: a widget depends on widgets, and may name HelmReleases, which the test
// API server does not serve.
var widgetDependencies = dependency.Set{Own: dependency.Kind{
	GroupVersion: widgetGV, Name: "Widget", New: func() reconcile.Object { return &Widget{} },
}, Others: []dependency.Kind{dependency.HelmReleases}}

// WidgetList is a list of widgets.
type WidgetList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []Widget `json:"items"`
}

const testFinalizer = "finalizers.test.ferry.dev"

// brokenCondition is the Widget's condition of negative polarity.
const brokenCondition = "Broken"

// counter counts step runs and finalizations per object.
type counter struct {
	mu    sync.Mutex
	steps map[string]int
	final map[string]int
}

func (c *counter) inc(m map[string]int, k string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	m[k]++
}

func (c *counter) get(m map[string]int, k string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return m[k]
}

// widgetKind reconciles widgets: wait for dependencies, then do what spec.outcome says.
func widgetKind(cnt *counter) *reconcile.Kind[*Widget] {
	return &reconcile.Kind[*Widget]{
		Name:      "Widget",
		New:       newWidget,
		Finalizer: testFinalizer,
		Interval:  func(*Widget) time.Duration { return time.Hour },
		Steps: []reconcile.Step[*Widget]{
			{Name: "dependencies", Run: func(ctx context.Context, s *reconcile.Scope[*Widget]) reconcile.Result {
				return dependency.Check(ctx, s.Client, s.Obj, widgetDependencies)
			}},
			{Name: "outcome", Run: func(ctx context.Context, s *reconcile.Scope[*Widget]) reconcile.Result {
				cnt.inc(cnt.steps, s.Obj.Name)
				s.SetRevision(fmt.Sprintf("gen-%d", s.Obj.Generation))
				switch s.Obj.Spec.Outcome {
				case "stall":
					return reconcile.Stalled("InvalidOutcome", errors.New("outcome 'stall' cannot work"))
				case "fail":
					return reconcile.Transient("OutcomeFailed", errors.New("outcome failed for now"))
				case "wait":
					return reconcile.Waiting("Waiting", errors.New("waiting for something"))
				case "later":
					return reconcile.TransientAfter("NotYet", errors.New("try again later"), 7*time.Second)
				case "broken-but-done":
					// A step that records a failure and still finishes: the runtime must not
					// leave Broken=True beside Ready=True.
					conditions.MarkTrue(s.Obj, brokenCondition, "Flaky", "broken for a moment")
				case "slow":
					if err := s.Progressing(ctx, fmt.Sprintf("building gen-%d", s.Obj.Generation)); err != nil {
						return reconcile.Transient("ProgressFailed", err)
					}
				}
				return reconcile.Done("Built", "widget built")
			}},
		},
		Finalize: func(ctx context.Context, s *reconcile.Scope[*Widget]) reconcile.Result {
			cnt.inc(cnt.final, s.Obj.Name)
			s.Event(corev1.EventTypeNormal, "CleanedUp", "widget parts removed")
			return reconcile.Done("", "")
		},
	}
}
