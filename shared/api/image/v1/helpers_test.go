package v1

import (
	"slices"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func duration(d time.Duration) *metav1.Duration { return &metav1.Duration{Duration: d} }

func TestImageRepositoryGetTimeout(t *testing.T) {
	tests := []struct {
		name     string
		interval time.Duration
		timeout  *metav1.Duration
		want     time.Duration
	}{
		{name: "defaults to interval", interval: 5 * time.Minute, want: 5 * time.Minute},
		{name: "timeout wins", interval: 5 * time.Minute, timeout: duration(30 * time.Second), want: 30 * time.Second},
		{name: "at least one second", interval: 10 * time.Millisecond, want: time.Second},
		{name: "short timeout raised", interval: time.Minute, timeout: duration(0), want: time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			obj := &ImageRepository{Spec: ImageRepositorySpec{Interval: metav1.Duration{Duration: tt.interval}, Timeout: tt.timeout}}
			if got := obj.GetTimeout(); got != tt.want {
				t.Errorf("GetTimeout() = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestImageRepositoryDefaults(t *testing.T) {
	obj := &ImageRepository{}
	if got := obj.GetExclusionList(); !slices.Equal(got, []string{`^.*\.sig$`}) {
		t.Errorf("GetExclusionList() = %v, want the .sig default", got)
	}
	if got := obj.GetProvider(); got != GenericProvider {
		t.Errorf("GetProvider() = %q, want %q", got, GenericProvider)
	}
	obj.Spec.ExclusionList = []string{"^dev-"}
	obj.Spec.Provider = AWSProvider
	if got := obj.GetExclusionList(); !slices.Equal(got, []string{"^dev-"}) {
		t.Errorf("GetExclusionList() = %v, want the spec's list", got)
	}
	if got := obj.GetProvider(); got != AWSProvider {
		t.Errorf("GetProvider() = %q, want %q", got, AWSProvider)
	}
}

func TestImagePolicyGetRequeueAfter(t *testing.T) {
	tests := []struct {
		name     string
		policy   ReflectionPolicy
		interval *metav1.Duration
		want     time.Duration
	}{
		{name: "empty policy is Never", want: 0},
		{name: "IfNotPresent does not poll", policy: ReflectIfNotPresent, interval: duration(time.Minute), want: 0},
		{name: "Always with interval", policy: ReflectAlways, interval: duration(time.Minute), want: time.Minute},
		{name: "Always without interval", policy: ReflectAlways, want: DefaultPolicyInterval},
		{name: "Always with zero interval", policy: ReflectAlways, interval: duration(0), want: DefaultPolicyInterval},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			obj := &ImagePolicy{Spec: ImagePolicySpec{DigestReflectionPolicy: tt.policy, Interval: tt.interval}}
			if got := obj.GetRequeueAfter(); got != tt.want {
				t.Errorf("GetRequeueAfter() = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestStringers(t *testing.T) {
	tests := []struct {
		name string
		got  string
		want string
	}{
		{name: "ref without digest", got: (&ImageRef{Name: "ghcr.io/org/app", Tag: "1.2.3"}).String(), want: "ghcr.io/org/app:1.2.3"},
		{name: "ref with digest", got: (&ImageRef{Name: "app", Tag: "1", Digest: "sha256:ab"}).String(), want: "app:1@sha256:ab"},
		{name: "local source", got: (&CrossNamespaceSourceReference{Kind: "GitRepository", Name: "apps"}).String(), want: "GitRepository/apps"},
		{name: "remote source", got: (&CrossNamespaceSourceReference{Kind: "GitRepository", Name: "apps", Namespace: "ns"}).String(), want: "GitRepository/ns/apps"},
		{name: "signing key default", got: string((&SigningKey{}).GetType()), want: "gpg"},
		{name: "signing key ssh", got: string((&SigningKey{Type: SigningKeyTypeSSH}).GetType()), want: "ssh"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.got != tt.want {
				t.Errorf("got %q, want %q", tt.got, tt.want)
			}
		})
	}
}

func TestGitSpecHasRefspec(t *testing.T) {
	if (&GitSpec{}).HasRefspec() {
		t.Error("HasRefspec() without push = true")
	}
	if (&GitSpec{Push: &PushSpec{Branch: "main"}}).HasRefspec() {
		t.Error("HasRefspec() with branch only = true")
	}
	if !(&GitSpec{Push: &PushSpec{Refspec: "refs/heads/main:refs/heads/auto"}}).HasRefspec() {
		t.Error("HasRefspec() with refspec = false")
	}
}
