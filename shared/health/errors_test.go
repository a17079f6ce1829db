package health

import (
	"context"
	"errors"
	"testing"

	. "github.com/onsi/gomega"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

func keyOf(ns, name string) client.ObjectKey { return client.ObjectKey{Namespace: ns, Name: name} }

func TestObjectRefString(t *testing.T) {
	cases := []struct {
		name string
		ref  ObjectRef
		want string
	}{
		{"namespaced", ObjectRef{APIVersion: "apps/v1", Kind: "Deployment", Namespace: "apps", Name: "web"}, "Deployment/apps/web"},
		{"cluster-scoped", ObjectRef{APIVersion: "v1", Kind: "Namespace", Name: "apps"}, "Namespace/apps"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			NewWithT(t).Expect(tc.ref.String()).To(Equal(tc.want))
		})
	}
}

func TestWaitErrors(t *testing.T) {
	web := ObjectRef{APIVersion: "apps/v1", Kind: "Deployment", Namespace: "apps", Name: "web"}
	cm := ObjectRef{APIVersion: "v1", Kind: "ConfigMap", Namespace: "apps", Name: "cfg"}
	cases := []struct {
		name string
		err  error
		want string
		is   error
	}{
		{
			name: "failed",
			err:  &FailedError{Ref: web, Result: Result{Status: Failed, Message: "Deployment exceeded its progress deadline"}},
			want: "Deployment/apps/web failed: Deployment exceeded its progress deadline",
		},
		{
			name: "timed out",
			err: &TimeoutError{Err: context.DeadlineExceeded, Pending: []Pending{
				{Ref: cm, Result: Result{Status: NotFound, Message: "ConfigMap not found"}},
				{Ref: web, Result: Result{Status: InProgress, Message: "1 of 2 replicas ready"}},
			}},
			want: "timed out waiting for 2 object(s) to become Current: ConfigMap/apps/cfg: NotFound: ConfigMap not found; Deployment/apps/web: InProgress: 1 of 2 replicas ready",
			is:   context.DeadlineExceeded,
		},
		{
			name: "canceled",
			err:  &TimeoutError{Err: context.Canceled, Pending: []Pending{{Ref: web, Result: Result{Status: Terminating}}}},
			want: "stopped waiting for 1 object(s) to become Current: Deployment/apps/web: Terminating",
			is:   context.Canceled,
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			g := NewWithT(t)
			g.Expect(tc.err.Error()).To(Equal(tc.want))
			if tc.is != nil {
				g.Expect(errors.Is(tc.err, tc.is)).To(BeTrue())
			}
		})
	}
}

func TestUniqueSorted(t *testing.T) {
	g := NewWithT(t)
	a := ObjectRef{APIVersion: "v1", Kind: "ConfigMap", Namespace: "b", Name: "x"}
	b := ObjectRef{APIVersion: "apps/v1", Kind: "Deployment", Namespace: "a", Name: "x"}
	c := ObjectRef{APIVersion: "v1", Kind: "ConfigMap", Namespace: "a", Name: "x"}
	g.Expect(uniqueSorted([]ObjectRef{b, a, c, a})).To(Equal([]ObjectRef{c, a, b}))
}
