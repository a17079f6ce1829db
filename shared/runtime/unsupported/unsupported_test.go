package unsupported_test

import (
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	sourcev1 "github.com/ferry-gitops/ferry/shared/api/source/v1"
	"github.com/ferry-gitops/ferry/shared/runtime/unsupported"
)

func TestCheck(t *testing.T) {
	repo := func(mutate func(*sourcev1.OCIRepository)) *sourcev1.OCIRepository {
		obj := &sourcev1.OCIRepository{
			ObjectMeta: metav1.ObjectMeta{Name: "app", Namespace: "default"},
			Spec:       sourcev1.OCIRepositorySpec{URL: "oci://example.com/app", Interval: metav1.Duration{}},
		}
		mutate(obj)
		return obj
	}
	verify := func(provider string) func(*sourcev1.OCIRepository) {
		return func(o *sourcev1.OCIRepository) {
			o.Spec.Verify = &sourcev1.OCIRepositoryVerification{Provider: provider}
		}
	}
	ignore := func(s string) func(*sourcev1.OCIRepository) {
		return func(o *sourcev1.OCIRepository) { o.Spec.Ignore = &s }
	}
	identities := func(subjects ...string) func(*sourcev1.OCIRepository) {
		return func(o *sourcev1.OCIRepository) {
			o.Spec.Verify = &sourcev1.OCIRepositoryVerification{Provider: "cosign"}
			for _, s := range subjects {
				o.Spec.Verify.MatchOIDCIdentity = append(o.Spec.Verify.MatchOIDCIdentity, sourcev1.OIDCIdentityMatch{Issuer: "i", Subject: s})
			}
		}
	}
	tests := []struct {
		name  string
		obj   *sourcev1.OCIRepository
		rules []unsupported.Rule
		want  string
	}{
		{name: "no rules", obj: repo(verify("cosign"))},
		{name: "field not set", obj: repo(func(*sourcev1.OCIRepository) {}), rules: []unsupported.Rule{{Path: "spec.verify"}}},
		{name: "object set", obj: repo(verify("cosign")), rules: []unsupported.Rule{{Path: "spec.verify"}},
			want: "spec.verify is not supported by Ferry"},
		{name: "refused value", obj: repo(verify("notation")), rules: []unsupported.Rule{{Path: "spec.verify.provider", Values: []string{"notation"}}},
			want: "spec.verify.provider notation is not supported by Ferry"},
		{name: "accepted value", obj: repo(verify("cosign")), rules: []unsupported.Rule{{Path: "spec.verify.provider", Values: []string{"notation"}}}},
		{name: "empty string is not set", obj: repo(ignore("")), rules: []unsupported.Rule{{Path: "spec.ignore"}}},
		{name: "list element field", obj: repo(identities("a", "")), rules: []unsupported.Rule{{Path: "spec.verify.matchOIDCIdentity[].subject"}},
			want: "spec.verify.matchOIDCIdentity[].subject is not supported by Ferry"},
		{name: "empty list", obj: repo(identities()), rules: []unsupported.Rule{{Path: "spec.verify.matchOIDCIdentity[].subject"}}},
		{name: "own message, sorted and joined", obj: repo(func(o *sourcev1.OCIRepository) { verify("cosign")(o); ignore("x")(o) }),
			rules: []unsupported.Rule{{Path: "spec.verify", Message: "verify: no"}, {Path: "spec.ignore"}},
			want:  "spec.ignore is not supported by Ferry; verify: no"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := unsupported.Check(tt.obj, tt.rules)
			got := ""
			if err != nil {
				got = err.Error()
			}
			if got != tt.want {
				t.Fatalf("Check = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestCheckMapsAndBools(t *testing.T) {
	obj := &sourcev1.OCIRepository{Spec: sourcev1.OCIRepositorySpec{Insecure: false, Suspend: true}}
	obj.Annotations = map[string]string{"a": "b"}
	if err := unsupported.Check(obj, []unsupported.Rule{{Path: "spec.insecure"}}); err != nil {
		t.Fatalf("false is not set: %v", err)
	}
	if err := unsupported.Check(obj, []unsupported.Rule{{Path: "spec.suspend", Values: []string{"true"}}}); err == nil {
		t.Fatal("suspend true refused by value")
	}
	if err := unsupported.Check(obj, []unsupported.Rule{{Path: "metadata.annotations{}", Values: []string{"b"}}}); err == nil {
		t.Fatal("map value refused by value")
	}
}
