package v1

import (
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// HistoryMaxSize is the number of snapshots kept in status.history.
const HistoryMaxSize = 5

// History is the list of the most recent distinct reconciliations, newest first.
type History []Snapshot

// Snapshot summarises the reconciliations that applied one build with one outcome.
type Snapshot struct {
	// Digest identifies the applied build (the checksum of the manifests).
	// +required
	Digest string `json:"digest"`

	// FirstReconciled is when this build was first reconciled with this outcome.
	// +required
	FirstReconciled metav1.Time `json:"firstReconciled"`

	// LastReconciled is when this build was last reconciled with this outcome.
	// +required
	LastReconciled metav1.Time `json:"lastReconciled"`

	// LastReconciledDuration is how long the last of these reconciliations took.
	// +required
	LastReconciledDuration metav1.Duration `json:"lastReconciledDuration"`

	// LastReconciledStatus is the outcome of these reconciliations, for example the reason
	// of the Ready condition.
	// +required
	LastReconciledStatus string `json:"lastReconciledStatus"`

	// TotalReconciliations counts the reconciliations summarised by this snapshot.
	// +required
	TotalReconciliations int64 `json:"totalReconciliations"`

	// Metadata holds extra information about the reconciliations, such as the source
	// revision.
	// +optional
	Metadata map[string]string `json:"metadata,omitempty"`
}

// Upsert records a reconciliation of the build of digest that ended with status at t and
// took duration: the snapshot of that digest counts it (its first reconciliation stays), or
// a new one is added when no snapshot has that digest. Either way it moves to the front, so
// the history is newest first, and the oldest snapshots past HistoryMaxSize are dropped.
func (h *History) Upsert(digest string, t metav1.Time, duration time.Duration, status string, metadata map[string]string) {
	snap := Snapshot{Digest: digest, FirstReconciled: t}
	rest := make(History, 0, len(*h))
	for _, s := range *h {
		if s.Digest == digest {
			snap = s
			continue
		}
		rest = append(rest, s)
	}
	snap.LastReconciled, snap.LastReconciledDuration, snap.LastReconciledStatus = t, metav1.Duration{Duration: duration}, status
	snap.TotalReconciliations++
	snap.Metadata = metadata
	*h = append(History{snap}, rest...)
	if len(*h) > HistoryMaxSize {
		*h = (*h)[:HistoryMaxSize]
	}
}

// Latest returns the newest snapshot, or nil when the history is empty.
func (h History) Latest() *Snapshot {
	if len(h) == 0 {
		return nil
	}
	return &h[0]
}
