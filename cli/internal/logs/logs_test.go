package logs

import "testing"

func TestFormat(t *testing.T) {
	reconciled := `{"level":"info","ts":1765080000.5,"logger":"kustomization","msg":"Reconciliation finished","controller":"kustomization","controllerKind":"Kustomization","Kustomization":{"name":"apps","namespace":"flux-system"},"namespace":"flux-system","name":"apps","reconcileID":"x"}`
	failed := `{"level":"error","ts":1765080001,"msg":"Reconciler error","controllerKind":"GitRepository","name":"repo","namespace":"team-a","error":"failed to checkout: authentication required"}`
	started := `{"level":"info","ts":"2025-12-07T04:00:00Z","msg":"Starting workers"}`
	for _, tc := range []struct {
		name, line string
		filter     Filter
		want       string
		keep       bool
	}{
		{"object", reconciled, Filter{}, "2025-12-07T04:00:00.500Z info Kustomization/apps.flux-system - Reconciliation finished", true},
		{"error", failed, Filter{}, "2025-12-07T04:00:01.000Z error GitRepository/repo.team-a - Reconciler error: failed to checkout: authentication required", true},
		{"no object", started, Filter{}, "2025-12-07T04:00:00Z info - Starting workers", true},
		{"kind matches", reconciled, Filter{Kind: "kustomization"}, "2025-12-07T04:00:00.500Z info Kustomization/apps.flux-system - Reconciliation finished", true},
		{"kind differs", failed, Filter{Kind: "Kustomization"}, "", false},
		{"name", reconciled, Filter{Name: "other"}, "", false},
		{"namespace", failed, Filter{Namespace: "flux-system"}, "", false},
		{"level", reconciled, Filter{Level: "error"}, "", false},
		{"not json", "panic: boom", Filter{}, "panic: boom", true},
		{"not json filtered", "panic: boom", Filter{Kind: "Kustomization"}, "panic: boom", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, keep := Format([]byte(tc.line), tc.filter)
			if keep != tc.keep || keep && got != tc.want {
				t.Errorf("Format = %q, %v; want %q, %v", got, keep, tc.want, tc.keep)
			}
		})
	}
}
