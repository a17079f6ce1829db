package helmrender

import (
	"reflect"
	"testing"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"

	helmv2 "github.com/ferry-gitops/ferry/shared/api/helm/v2"
)

func TestValues(t *testing.T) {
	data := map[string]map[string]string{
		"ConfigMap/base":   {"values.yaml": "a: 1\nnested: {x: 1, z: 1}\n"},
		"Secret/creds":     {"password": "s3cret"},
		"ConfigMap/custom": {"prod.yaml": "nested: {z: 2}\n"},
	}
	lookup := func(kind, name string) (map[string]string, bool, error) {
		d, ok := data[kind+"/"+name]
		return d, ok, nil
	}
	for _, tc := range []struct {
		name    string
		refs    []helmv2.ValuesReference
		inline  string
		want    map[string]any
		wantErr bool
	}{
		{name: "merge in order, inline last", refs: []helmv2.ValuesReference{
			{Kind: "ConfigMap", Name: "base"}, {Kind: "ConfigMap", Name: "custom", ValuesKey: "prod.yaml"},
			{Kind: "Secret", Name: "creds", ValuesKey: "password", TargetPath: "db.password"}},
			inline: `{"a":2}`,
			want: map[string]any{"a": float64(2), "nested": map[string]any{"x": float64(1), "z": float64(2)},
				"db": map[string]any{"password": "s3cret"}}},
		{name: "optional missing", refs: []helmv2.ValuesReference{{Kind: "ConfigMap", Name: "missing", Optional: true}}, want: map[string]any{}},
		{name: "required missing", refs: []helmv2.ValuesReference{{Kind: "ConfigMap", Name: "missing"}}, wantErr: true},
		{name: "missing key", refs: []helmv2.ValuesReference{{Kind: "Secret", Name: "creds"}}, wantErr: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			hr := &helmv2.HelmRelease{}
			hr.Spec.ValuesFrom = tc.refs
			if tc.inline != "" {
				hr.Spec.Values = &apiextensionsv1.JSON{Raw: []byte(tc.inline)}
			}
			got, err := Values(hr, lookup)
			if tc.wantErr {
				if err == nil {
					t.Errorf("Values = %v, want an error", got)
				}
				return
			}
			if err != nil || !reflect.DeepEqual(got, tc.want) {
				t.Errorf("Values = %v, %v; want %v", got, err, tc.want)
			}
		})
	}
}
