package dispatch

import (
	"context"
	"fmt"
	"path"
	"regexp"
	"sync"

	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"

	notificationv1beta3 "github.com/ferry-gitops/ferry/shared/api/notification/v1beta3"
	"github.com/ferry-gitops/ferry/shared/runtime/events"
)

// LabelReader reads the labels of an event's object, for eventSources with matchLabels.
type LabelReader interface {
	Labels(ctx context.Context, ev *events.Event) (map[string]string, error)
}

// matcher decides which Alerts an event is for.
type matcher struct {
	noCrossNamespace bool
	labels           LabelReader

	mu      sync.Mutex
	filters map[types.UID]*filters
}

// filters are an Alert's compiled inclusion and exclusion lists, for one generation.
type filters struct {
	generation       int64
	include, exclude []*regexp.Regexp
	err              error
}

// CompileFilters compiles an Alert's inclusionList and exclusionList.
func CompileFilters(a *notificationv1beta3.Alert) (include, exclude []*regexp.Regexp, err error) {
	for _, l := range []struct {
		field string
		exprs []string
		out   *[]*regexp.Regexp
	}{{"spec.inclusionList", a.Spec.InclusionList, &include}, {"spec.exclusionList", a.Spec.ExclusionList, &exclude}} {
		for i, e := range l.exprs {
			re, err := regexp.Compile(e)
			if err != nil {
				return nil, nil, fmt.Errorf("%s[%d] is not a valid regular expression: %w", l.field, i, err)
			}
			*l.out = append(*l.out, re)
		}
	}
	return include, exclude, nil
}

func (m *matcher) compiled(a *notificationv1beta3.Alert) *filters {
	m.mu.Lock()
	defer m.mu.Unlock()
	f, ok := m.filters[a.UID]
	if !ok || f.generation != a.Generation {
		f = &filters{generation: a.Generation}
		f.include, f.exclude, f.err = CompileFilters(a)
		m.filters[a.UID] = f
	}
	return f
}

// matches tells whether the Alert a forwards ev.
func (m *matcher) matches(ctx context.Context, a *notificationv1beta3.Alert, ev *events.Event) (bool, error) {
	if a.Spec.Suspend || (a.Spec.EventSeverity == events.SeverityError && ev.Severity != events.SeverityError) {
		return false, nil
	}
	source := false
	for i := range a.Spec.EventSources {
		ok, err := m.sourceMatches(ctx, a, i, ev)
		if err != nil {
			return false, err
		}
		if ok {
			source = true
			break
		}
	}
	if !source {
		return false, nil
	}
	f := m.compiled(a)
	if f.err != nil {
		return false, f.err
	}
	if len(f.include) > 0 && !anyMatch(f.include, ev.Message) {
		return false, nil
	}
	return !anyMatch(f.exclude, ev.Message), nil
}

// sourceMatches tells whether eventSources[i] of a selects ev's object.
func (m *matcher) sourceMatches(ctx context.Context, a *notificationv1beta3.Alert, i int, ev *events.Event) (bool, error) {
	src, o := a.Spec.EventSources[i], ev.InvolvedObject
	ns := src.Namespace
	if ns == "" {
		ns = a.Namespace
	}
	if src.Kind != o.Kind || ns != o.Namespace || (m.noCrossNamespace && ns != a.Namespace) {
		return false, nil
	}
	if src.APIVersion != "" {
		want, err1 := schema.ParseGroupVersion(src.APIVersion)
		got, err2 := schema.ParseGroupVersion(o.APIVersion)
		if err1 != nil || err2 != nil || want.Group != got.Group {
			return false, nil
		}
	}
	if src.Name != "*" {
		if ok, _ := path.Match(src.Name, o.Name); !ok {
			return false, nil
		}
	}
	if len(src.MatchLabels) == 0 {
		return true, nil
	}
	labels, err := m.labels.Labels(ctx, ev)
	if err != nil {
		return false, err
	}
	for k, v := range src.MatchLabels {
		if got, ok := labels[k]; !ok || got != v {
			return false, nil
		}
	}
	return true, nil
}

func anyMatch(res []*regexp.Regexp, s string) bool {
	for _, re := range res {
		if re.MatchString(s) {
			return true
		}
	}
	return false
}

// enrich returns ev as Alert a sends it, its metadata merged from, lowest precedence first:
// the involved object's event.toolkit.fluxcd.io/ annotations (without the prefix), the
// Alert's eventMetadata, the keys the event's controller set, and the Alert's summary under
// the "summary" key.
func enrich(a *notificationv1beta3.Alert, ev events.Event) events.Event {
	own, object := events.SplitObjectMetadata(ev.Metadata)
	meta := make(map[string]string, len(own)+len(object)+len(a.Spec.EventMetadata)+1)
	for _, layer := range []map[string]string{object, a.Spec.EventMetadata, own} {
		for k, v := range layer {
			meta[k] = v
		}
	}
	if a.Spec.Summary != "" {
		meta["summary"] = a.Spec.Summary
	}
	ev.Metadata = meta
	return ev
}
