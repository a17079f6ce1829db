package v1

import (
	"fmt"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func TestHistoryUpsert(t *testing.T) {
	at := func(s int) metav1.Time { return metav1.NewTime(time.Unix(int64(1000+s), 0)) }
	var h History
	h.Upsert("a", at(0), time.Second, "ReconciliationSucceeded", map[string]string{"revision": "r1"})
	h.Upsert("a", at(1), 2*time.Second, "ReconciliationFailed", map[string]string{"revision": "r2"})
	if len(h) != 1 || h[0].TotalReconciliations != 2 || !h[0].FirstReconciled.Equal(&[]metav1.Time{at(0)}[0]) ||
		h[0].LastReconciledStatus != "ReconciliationFailed" || h[0].Metadata["revision"] != "r2" || h[0].LastReconciledDuration.Duration != 2*time.Second {
		t.Fatalf("same digest: %+v", h)
	}
	h.Upsert("b", at(2), time.Second, "ReconciliationSucceeded", nil)
	h.Upsert("a", at(3), time.Second, "ReconciliationSucceeded", nil)
	if len(h) != 2 || h[0].Digest != "a" || h[1].Digest != "b" || h[0].TotalReconciliations != 3 {
		t.Fatalf("a seen again moves to the front: %+v", h)
	}
	for i := range 10 {
		h.Upsert(fmt.Sprint("d", i), at(10+i), time.Second, "ReconciliationSucceeded", nil)
	}
	if len(h) != HistoryMaxSize || h[0].Digest != "d9" || h[HistoryMaxSize-1].Digest != "d5" {
		t.Fatalf("truncated newest first: %+v", h)
	}
}
