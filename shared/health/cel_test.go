package health

import (
	"testing"

	. "github.com/onsi/gomega"

	fluxmeta "github.com/ferry-gitops/ferry/shared/api/meta"
)

var certificateCheck = fluxmeta.CustomHealthCheck{
	APIVersion: "cert-manager.io/v1",
	Kind:       "Certificate",
	InProgress: "!has(status.conditions) || status.conditions.exists(e, e.type == 'Issuing' && e.status == 'True')",
	Failed:     "status.conditions.exists(e, e.type == 'Ready' && e.status == 'False')",
	Current:    "status.conditions.exists(e, e.type == 'Ready' && e.status == 'True')",
}

var phaseCheck = fluxmeta.CustomHealthCheck{
	APIVersion: "example.com/v1",
	Current:    "status.phase == 'Ready'",
}

const certificateHead = `
apiVersion: cert-manager.io/v1
kind: Certificate
metadata: {name: web-tls, namespace: apps, generation: 2}
spec: {secretName: web-tls, dnsNames: [web.example.com]}
`

func TestChecksCompute(t *testing.T) {
	checks, err := NewChecks([]fluxmeta.CustomHealthCheck{certificateCheck, phaseCheck})
	if err != nil {
		t.Fatalf("failed to compile checks: %v", err)
	}
	cases := []struct {
		name     string
		manifest string
		status   Status
		message  string
	}{
		{
			name: "current",
			manifest: certificateHead + `
status: {observedGeneration: 2, conditions: [{type: Ready, status: "True"}]}`,
			status:  Current,
			message: `Certificate is Current: health check "` + certificateCheck.Current + `" is true`,
		},
		{
			name: "failed",
			manifest: certificateHead + `
status: {conditions: [{type: Ready, status: "False", reason: Failed}]}`,
			status:  Failed,
			message: `Certificate is Failed: health check "` + certificateCheck.Failed + `" is true`,
		},
		{
			name: "inProgress is evaluated first",
			manifest: certificateHead + `
status: {conditions: [{type: Ready, status: "True"}, {type: Issuing, status: "True"}]}`,
			status:  InProgress,
			message: `Certificate is InProgress: health check "` + certificateCheck.InProgress + `" is true`,
		},
		{
			name:     "no status reads as empty",
			manifest: certificateHead,
			status:   InProgress,
			message:  `Certificate is InProgress: health check "` + certificateCheck.InProgress + `" is true`,
		},
		{
			name: "no expression true",
			manifest: certificateHead + `
status: {conditions: [{type: Ready, status: "Unknown"}]}`,
			status:  InProgress,
			message: "Certificate: no health check is true yet",
		},
		{
			name: "evaluation error counts as false",
			manifest: `
apiVersion: example.com/v1
kind: Database
metadata: {name: db}
status: {}`,
			status:  InProgress,
			message: "Database: no health check is true yet (Current expression: no such key: phase)",
		},
		{
			name: "empty kind matches every kind of the apiVersion",
			manifest: `
apiVersion: example.com/v1
kind: Database
metadata: {name: db}
status: {phase: Ready}`,
			status:  Current,
			message: `Database is Current: health check "status.phase == 'Ready'" is true`,
		},
		{
			name: "deletion wins over expressions",
			manifest: `
apiVersion: cert-manager.io/v1
kind: Certificate
metadata: {name: web-tls, deletionTimestamp: "2026-01-01T00:00:00Z", finalizers: [x]}
status: {conditions: [{type: Ready, status: "True"}]}`,
			status:  Terminating,
			message: "Certificate is being deleted",
		},
		{
			name: "stale observedGeneration wins over expressions",
			manifest: certificateHead + `
status: {observedGeneration: 1, conditions: [{type: Ready, status: "True"}]}`,
			status:  InProgress,
			message: "Certificate generation is 2, but the latest observed generation is 1",
		},
		{
			name: "other kinds use the built-in rules",
			manifest: deploymentHead + `
spec: {replicas: 1}
status: {observedGeneration: 2, replicas: 1, updatedReplicas: 1, readyReplicas: 1, availableReplicas: 1}`,
			status:  Current,
			message: "Deployment is available: 1 of 1 replicas ready",
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			g := NewWithT(t)
			res, err := checks.Compute(object(t, tc.manifest))
			g.Expect(err).NotTo(HaveOccurred())
			g.Expect(res).To(Equal(Result{Status: tc.status, Message: tc.message}))
		})
	}
}

func TestNilChecksUseCompute(t *testing.T) {
	g := NewWithT(t)
	var checks *Checks
	res, err := checks.Compute(object(t, `
apiVersion: v1
kind: ConfigMap
metadata: {name: a}`))
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(res.Status).To(Equal(Current))
}

func TestNewChecksErrors(t *testing.T) {
	cases := []struct {
		name   string
		checks []fluxmeta.CustomHealthCheck
		want   string
	}{
		{
			name:   "syntax error",
			checks: []fluxmeta.CustomHealthCheck{{APIVersion: "example.com/v1", Kind: "A", Current: "status.phase == "}},
			want:   "failed to compile the Current expression of example.com/v1 A: ",
		},
		{
			name:   "not a boolean",
			checks: []fluxmeta.CustomHealthCheck{{APIVersion: "example.com/v1", Kind: "A", Current: "'a' + 'b'"}},
			want:   "failed to compile the Current expression of example.com/v1 A: expression \"'a' + 'b'\" returns string, not bool",
		},
		{
			name:   "unknown variable",
			checks: []fluxmeta.CustomHealthCheck{{APIVersion: "example.com/v1", Kind: "A", Current: "true", Failed: "self.status.failed"}},
			want:   "failed to compile the Failed expression of example.com/v1 A: ",
		},
		{
			name:   "current missing",
			checks: []fluxmeta.CustomHealthCheck{{APIVersion: "example.com/v1", Kind: "A", InProgress: "true"}},
			want:   "failed to compile health checks of example.com/v1 A: current is required",
		},
		{
			name: "duplicate kind",
			checks: []fluxmeta.CustomHealthCheck{
				{APIVersion: "example.com/v1", Kind: "A", Current: "true"},
				{APIVersion: "example.com/v1", Kind: "A", Current: "false"},
			},
			want: "failed to compile health checks: example.com/v1 A appears twice",
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			g := NewWithT(t)
			_, err := NewChecks(tc.checks)
			g.Expect(err).To(HaveOccurred())
			g.Expect(err.Error()).To(HavePrefix(tc.want))
		})
	}
}
