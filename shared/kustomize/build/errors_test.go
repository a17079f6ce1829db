package build

import (
	"testing"

	. "github.com/onsi/gomega"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// obj makes an object of apiVersion, kind, namespace and name.
func obj(apiVersion, kind, ns, name string) *unstructured.Unstructured {
	u := &unstructured.Unstructured{}
	u.SetAPIVersion(apiVersion)
	u.SetKind(kind)
	u.SetNamespace(ns)
	u.SetName(name)
	return u
}

func TestCheckDuplicates(t *testing.T) {
	tests := []struct {
		name    string
		objs    []*unstructured.Unstructured
		wantErr string
	}{
		{name: "distinct", objs: []*unstructured.Unstructured{
			obj("v1", "ConfigMap", "a", "x"), obj("v1", "ConfigMap", "b", "x"), obj("v1", "Secret", "a", "x"),
		}},
		{name: "same object twice", objs: []*unstructured.Unstructured{
			obj("apps/v1", "Deployment", "a", "x"), obj("apps/v1", "Deployment", "a", "x"),
		}, wantErr: "Deployment.apps a/x (2 times)"},
		{name: "versions do not make objects different", objs: []*unstructured.Unstructured{
			obj("example.com/v1", "Widget", "", "w"), obj("example.com/v2", "Widget", "", "w"),
		}, wantErr: "Widget.example.com w (2 times)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := NewWithT(t)
			err := checkDuplicates(tt.objs)
			if tt.wantErr == "" {
				g.Expect(err).NotTo(HaveOccurred())
				return
			}
			g.Expect(err).To(MatchError(ContainSubstring(tt.wantErr)))
		})
	}
}

func TestClarify(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{
			name: "namespace conflict quotes no content",
			in:   `namespace transformation produces ID conflict: [{"apiVersion":"v1","kind":"Secret","metadata":{"name":"s","namespace":"p"},"data":{"k":"c2VjcmV0"}} {"apiVersion":"v1","kind":"Secret","metadata":{"name":"s","namespace":"p"}}]`,
			want: "the same object is in the build more than once after namespace transformation: Secret p/s",
		},
		{
			name: "already registered id",
			in:   "accumulating resources: accumulation err='merging resources from 'b.yaml': may not add resource with an already registered id: ConfigMap.v1.[noGrp]/x.[noNs]': must build at directory",
			want: "the same object is in the build more than once: ConfigMap.v1.[noGrp]/x.[noNs] (again in b.yaml)",
		},
		{name: "other errors unchanged", in: "some error", want: "some error"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			NewWithT(t).Expect(clarify(tt.in)).To(Equal(tt.want))
		})
	}
}
