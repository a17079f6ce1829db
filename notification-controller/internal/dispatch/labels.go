package dispatch

import (
	"context"
	"fmt"
	"sync"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/ferry-gitops/ferry/shared/runtime/events"
)

// labelTTL is how long the labels of an object are reused: a burst of events about one object
// reads them once.
const labelTTL = 5 * time.Second

// APILabels reads objects' labels from the API server (metadata only), remembering each for
// a few seconds.
type APILabels struct {
	reader client.Reader
	now    func() time.Time

	mu    sync.Mutex
	cache map[string]labelEntry
}

type labelEntry struct {
	labels map[string]string
	at     time.Time
}

// NewAPILabels returns a LabelReader over reader.
func NewAPILabels(reader client.Reader) *APILabels {
	return &APILabels{reader: reader, now: time.Now, cache: map[string]labelEntry{}}
}

// Labels implements LabelReader.
func (l *APILabels) Labels(ctx context.Context, ev *events.Event) (map[string]string, error) {
	o := ev.InvolvedObject
	key := o.APIVersion + "/" + o.Kind + "/" + o.Namespace + "/" + o.Name
	now := l.now()
	l.mu.Lock()
	e, ok := l.cache[key]
	if len(l.cache) > 10_000 {
		l.cache = map[string]labelEntry{}
	}
	l.mu.Unlock()
	if ok && now.Sub(e.at) < labelTTL {
		return e.labels, nil
	}
	gv, err := schema.ParseGroupVersion(o.APIVersion)
	if err != nil {
		return nil, fmt.Errorf("failed to read the labels of %s/%s: %w", o.Kind, o.Name, err)
	}
	m := &metav1.PartialObjectMetadata{}
	m.SetGroupVersionKind(gv.WithKind(o.Kind))
	if err := l.reader.Get(ctx, client.ObjectKey{Namespace: o.Namespace, Name: o.Name}, m); err != nil {
		return nil, fmt.Errorf("failed to read the labels of %s %s/%s: %w", o.Kind, o.Namespace, o.Name, err)
	}
	l.mu.Lock()
	l.cache[key] = labelEntry{labels: m.Labels, at: now}
	l.mu.Unlock()
	return m.Labels, nil
}
