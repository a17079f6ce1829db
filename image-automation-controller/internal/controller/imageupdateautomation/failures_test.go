package imageupdateautomation

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	imagev1 "github.com/ferry-gitops/ferry/shared/api/image/v1"
	fluxmeta "github.com/ferry-gitops/ferry/shared/api/meta"
	"github.com/ferry-gitops/ferry/shared/testing/gitserver"
	"github.com/ferry-gitops/ferry/shared/testing/statuscheck"
)

// TestPushFailures: credentials refused, no write access, a protected branch and an
// unreachable remote each leave the automation Ready=False with a message a user
// understands, retried; the remote branch is left as it was and nothing is recorded as
// pushed. Fixing the cause lets the next run push.
func TestPushFailures(t *testing.T) {
	tests := []struct {
		name   string
		break_ func(t *testing.T, f *fixture)
		mend   func(t *testing.T, f *fixture)
		want   string
	}{
		{name: "wrong password", want: "authentication failed",
			break_: func(t *testing.T, f *fixture) { setSecret(t, f, "password", "wrong") },
			mend:   func(t *testing.T, f *fixture) { setSecret(t, f, "password", "s3cret-pass") }},
		{name: "no write access", want: "the credentials have no write access",
			break_: func(t *testing.T, f *fixture) { gitserver.Git(t, f.bare(), "config", "http.receivepack", "false") },
			mend:   func(t *testing.T, f *fixture) { gitserver.Git(t, f.bare(), "config", "http.receivepack", "true") }},
		{name: "protected branch", want: "the remote rejected the update: refs/heads/main",
			break_: func(t *testing.T, f *fixture) { writeHook(t, f, "echo 'main is protected' >&2; exit 1") },
			mend:   func(t *testing.T, f *fixture) { writeHook(t, f, "exit 0") }},
		{name: "unreachable remote", want: "connection refused",
			break_: func(t *testing.T, f *fixture) { f.srv.Close() }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := NewWithT(t)
			f := newFixture(t, nil)
			main := f.withApp(t, true)
			tt.break_(t, f)
			obj := f.automation("app", "")
			create(t, obj)
			cur := statuscheck.NotReady(t, k8s, obj, imagev1.GitOperationFailedReason, tt.want)
			g.Expect(cur.Status.LastPushCommit).To(BeEmpty())
			g.Expect(f.head("refs/heads/main")).To(Equal(main), "nothing half-written")
			g.Expect(cur.Status.Conditions).To(ContainElement(HaveField("Type", fluxmeta.ReconcilingCondition)), "retried")
			if tt.mend == nil {
				return
			}
			tt.mend(t, f)
			cur = pushed(t, obj, "")
			g.Expect(f.head(cur.Status.LastPushCommit + "^")).To(Equal(main))
		})
	}
}

// TestSpecFailures: what only a change of the spec (or of the objects it names) can mend
// says so, naming the cause; Stalled when nothing but the spec can mend it.
func TestSpecFailures(t *testing.T) {
	f := newFixture(t, nil)
	main := f.withApp(t, true)
	tests := []struct {
		name, reason, want string
		stalled            bool
		mutate             func(obj *imagev1.ImageUpdateAutomation)
	}{
		{name: "bad-template", reason: imagev1.GitOperationFailedReason, stalled: true, want: "failed to parse spec.git.commit.messageTemplate",
			mutate: func(obj *imagev1.ImageUpdateAutomation) { obj.Spec.GitSpec.Commit.MessageTemplate = "{{ .Changed" }},
		{name: "failing-template", reason: imagev1.GitOperationFailedReason, stalled: true, want: "failed to execute spec.git.commit.messageTemplate",
			mutate: func(obj *imagev1.ImageUpdateAutomation) { obj.Spec.GitSpec.Commit.MessageTemplate = "{{ .Nope }}" }},
		{name: "bad-selector", reason: imagev1.InvalidPolicySelectorReason, stalled: true, want: "invalid spec.policySelector",
			mutate: func(obj *imagev1.ImageUpdateAutomation) {
				obj.Spec.PolicySelector = &metav1.LabelSelector{MatchExpressions: []metav1.LabelSelectorRequirement{{Key: "team", Operator: "Sort"}}}
			}},
		{name: "other-group", reason: imagev1.InvalidSourceConfigReason, stalled: true,
			want:   "spec.sourceRef.apiVersion 'example.com/v1' is not a version of source.toolkit.fluxcd.io",
			mutate: func(obj *imagev1.ImageUpdateAutomation) { obj.Spec.SourceRef.APIVersion = "example.com/v1" }},
		{name: "tag-no-push-branch", reason: imagev1.InvalidSourceConfigReason, stalled: true, want: "set spec.git.push.branch",
			mutate: func(obj *imagev1.ImageUpdateAutomation) {
				obj.Spec.GitSpec.Checkout = &imagev1.GitCheckoutSpec{Reference: imagev1.GitRepositoryRef{Tag: "v1"}}
				obj.Spec.GitSpec.Push = nil
			}},
		{name: "missing-source", reason: imagev1.InvalidSourceConfigReason, want: "not found",
			mutate: func(obj *imagev1.ImageUpdateAutomation) { obj.Spec.SourceRef.Name = "nope" }},
		{name: "missing-branch", reason: imagev1.GitOperationFailedReason, want: "couldn't find remote ref 'refs/heads/nope'",
			mutate: func(obj *imagev1.ImageUpdateAutomation) {
				obj.Spec.GitSpec.Checkout = &imagev1.GitCheckoutSpec{Reference: imagev1.GitRepositoryRef{Branch: "nope"}}
			}},
		{name: "missing-signing-key", reason: imagev1.GitOperationFailedReason, want: "failed to read spec.git.commit.signingKey: failed to get secret",
			mutate: func(obj *imagev1.ImageUpdateAutomation) {
				obj.Spec.GitSpec.Commit.SigningKey = &imagev1.SigningKey{SecretRef: fluxmeta.LocalObjectReference{Name: "nope"}}
			}},
		{name: "missing-path", reason: imagev1.UpdateFailedReason, want: "path 'nope' is not a directory of the repository",
			mutate: func(obj *imagev1.ImageUpdateAutomation) { obj.Spec.Update.Path = "nope" }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			obj := f.automation(tt.name, "")
			tt.mutate(obj)
			create(t, obj)
			if tt.stalled {
				statuscheck.Stalled(t, k8s, obj, tt.reason, tt.want)
			} else {
				statuscheck.NotReady(t, k8s, obj, tt.reason, tt.want)
			}
		})
	}
	NewWithT(t).Expect(f.head("refs/heads/main")).To(Equal(main), "none of them pushed")
}

// setSecret sets key of the fixture's credentials Secret.
func setSecret(t *testing.T, f *fixture, key, value string) {
	t.Helper()
	secret := &corev1.Secret{}
	NewWithT(t).Expect(k8s.Get(context.Background(), keyOf(f.ns, "git-auth"), secret)).To(Succeed())
	secret.Data[key] = []byte(value)
	NewWithT(t).Expect(k8s.Update(context.Background(), secret)).To(Succeed())
}

// writeHook installs a pre-receive hook running script in the served repository.
func writeHook(t *testing.T, f *fixture, script string) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(f.bare(), "hooks", "pre-receive"), []byte("#!/bin/sh\n"+script+"\n"), 0o755); err != nil {
		t.Fatal(err)
	}
}
