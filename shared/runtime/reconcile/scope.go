package reconcile

import (
	"context"
	"time"

	"github.com/go-logr/logr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	fluxmeta "github.com/ferry-gitops/ferry/shared/api/meta"
	"github.com/ferry-gitops/ferry/shared/runtime/conditions"
	"github.com/ferry-gitops/ferry/shared/runtime/patch"
	"github.com/ferry-gitops/ferry/shared/runtime/unsupported"
)

// Object is a toolkit object the shared runtime reconciles.
type Object interface {
	client.Object
	fluxmeta.StatusObject
}

// Step is one ordered part of a kind's reconciliation. It sets only its own conditions.
type Step[T Object] struct {
	// Name identifies the step in logs.
	Name string
	// Run does the work.
	Run func(ctx context.Context, s *Scope[T]) Result
}

// Kind describes how one kind is reconciled.
type Kind[T Object] struct {
	// Name is the kind's name, as in metrics and logs.
	Name string
	// New returns an empty object of the kind.
	New func() T
	// Finalizer, when set, is added to every object and removed after Finalize succeeds.
	Finalizer string
	// Unsupported are the fields Ferry accepts but does not implement for this kind: an
	// object that sets one is Stalled (UnsupportedSpec, naming the field) and no step runs.
	Unsupported []unsupported.Rule
	// Steps run in order on every reconcile of a live, unsuspended object.
	Steps []Step[T]
	// Finalize cleans up when the object is deleted; nil means nothing to clean.
	Finalize func(ctx context.Context, s *Scope[T]) Result
	// Interval returns the time until the next reconcile after a success (spec.interval).
	Interval func(obj T) time.Duration
	// RetryInterval, when set, returns the time until the next attempt after a transient
	// failure (spec.retryInterval); when nil, the work queue backs off exponentially.
	RetryInterval func(obj T) time.Duration
	// Summarized, when set, runs after the steps and after Ready, Reconciling and Stalled are
	// set from their result, before the status is written: it records what the outcome means
	// for the kind's own status fields (a Kustomization's history), whatever step it ended at.
	Summarized func(ctx context.Context, s *Scope[T], res Result)
}

// Scope is the state of one reconcile: the object and what the steps want reported.
type Scope[T Object] struct {
	// Obj is the object being reconciled; steps change its status in memory only.
	Obj T
	// Client reads and writes the cluster.
	Client client.Client
	// Log is the reconcile's logger.
	Log logr.Logger

	metadata map[string]string
	events   []pendingEvent
	patcher  *patch.StatusPatcher
}

type pendingEvent struct {
	eventType, reason, message string
}

// SetRevision records the revision the reconcile worked on, for event metadata.
func (s *Scope[T]) SetRevision(revision string) {
	s.SetMetadata(fluxmeta.RevisionAnnotation, revision)
}

// SetMetadata records a key and value sent with every event of this reconcile.
func (s *Scope[T]) SetMetadata(key, value string) {
	if s.metadata == nil {
		s.metadata = map[string]string{}
	}
	s.metadata[key] = value
}

// Event queues an event, recorded after the status is written. Steps record events for
// changes only (a new artifact, objects applied); failures are recorded by the runtime.
func (s *Scope[T]) Event(eventType, reason, message string) {
	s.events = append(s.events, pendingEvent{eventType, reason, message})
}

// Progressing shows readers at once that long work on the object started — a health wait, a
// Helm action — instead of its old Ready=True: Reconciling=True and Ready=Unknown, both with
// reason Progressing and msg (which names the revision worked on), written in a status patch
// of their own before the work. The reconcile's final patch then replaces them. Call it only
// before work that may take more than a few seconds: other reconciles write status once.
func (s *Scope[T]) Progressing(ctx context.Context, msg string) error {
	conditions.MarkTrue(s.Obj, fluxmeta.ReconcilingCondition, fluxmeta.ProgressingReason, msg)
	conditions.MarkUnknown(s.Obj, fluxmeta.ReadyCondition, fluxmeta.ProgressingReason, msg)
	conditions.Delete(s.Obj, fluxmeta.StalledCondition)
	if s.patcher == nil {
		return nil
	}
	_, err := s.patcher.Patch(ctx, s.Obj)
	return err
}
