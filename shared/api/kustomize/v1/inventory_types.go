package v1

import metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

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

// Latest returns the newest snapshot, or nil when the history is empty.
func (h History) Latest() *Snapshot {
	if len(h) == 0 {
		return nil
	}
	return &h[0]
}
