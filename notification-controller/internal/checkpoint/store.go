package checkpoint

import (
	"context"
	"encoding/json"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/ferry-gitops/ferry/notification-controller/internal/event"
)

// dataKey is the ConfigMap key holding the checkpoint.
const dataKey = "checkpoint.json"

// Saved is everything a restart needs: the delivery checkpoint of Kubernetes Events and the
// POSTed events still waiting for their Kubernetes twin.
type Saved struct {
	// Events is the delivery checkpoint.
	Events State `json:"events"`
	// Twins are POSTed events not yet paired.
	Twins []event.Pending `json:"twins,omitempty"`
}

// Store reads and writes the checkpoint in one ConfigMap. Reads go to the API server
// directly (reader), not through a cache of every ConfigMap.
type Store struct {
	reader client.Reader
	writer client.Client
	key    client.ObjectKey
	cm     *corev1.ConfigMap
}

// NewStore returns the store of the ConfigMap name in namespace.
func NewStore(reader client.Reader, writer client.Client, namespace, name string) *Store {
	return &Store{reader: reader, writer: writer, key: client.ObjectKey{Namespace: namespace, Name: name}}
}

// Load reads the checkpoint; found is false when there is none yet.
func (s *Store) Load(ctx context.Context) (saved Saved, found bool, err error) {
	cm := &corev1.ConfigMap{}
	if err := s.reader.Get(ctx, s.key, cm); err != nil {
		if apierrors.IsNotFound(err) {
			return saved, false, nil
		}
		return saved, false, fmt.Errorf("failed to read the checkpoint %s: %w", s.key, err)
	}
	s.cm = cm
	raw, ok := cm.Data[dataKey]
	if !ok {
		return saved, false, nil
	}
	if err := json.Unmarshal([]byte(raw), &saved); err != nil {
		return saved, false, fmt.Errorf("failed to decode the checkpoint %s: %w", s.key, err)
	}
	return saved, true, nil
}

// Save writes the checkpoint, creating the ConfigMap the first time. The controller is its
// only writer (leader election), so a conflict means the cached copy is stale: it is read
// again and the write repeated.
func (s *Store) Save(ctx context.Context, saved Saved) error {
	raw, err := json.Marshal(saved)
	if err != nil {
		return fmt.Errorf("failed to encode the checkpoint: %w", err)
	}
	for attempt := 0; ; attempt++ {
		err = s.write(ctx, string(raw))
		if err == nil || attempt == 2 || !(apierrors.IsConflict(err) || apierrors.IsAlreadyExists(err)) {
			break
		}
		s.cm = nil
		if _, _, lerr := s.Load(ctx); lerr != nil {
			return lerr
		}
	}
	if err != nil {
		return fmt.Errorf("failed to write the checkpoint %s: %w", s.key, err)
	}
	return nil
}

func (s *Store) write(ctx context.Context, raw string) error {
	if s.cm == nil {
		cm := &corev1.ConfigMap{
			ObjectMeta: metav1.ObjectMeta{Name: s.key.Name, Namespace: s.key.Namespace,
				Labels: map[string]string{"app.kubernetes.io/component": "notification-controller"}},
			Data: map[string]string{dataKey: raw},
		}
		if err := s.writer.Create(ctx, cm); err != nil {
			return err
		}
		s.cm = cm
		return nil
	}
	cm := s.cm.DeepCopy()
	if cm.Data == nil {
		cm.Data = map[string]string{}
	}
	cm.Data[dataKey] = raw
	if err := s.writer.Update(ctx, cm); err != nil {
		return err
	}
	s.cm = cm
	return nil
}
