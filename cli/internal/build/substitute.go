package build

import (
	"fmt"
	"regexp"

	"github.com/drone/envsubst"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/yaml"

	kustomizev1 "github.com/ferry-gitops/ferry/shared/api/kustomize/v1"
)

// bareDollar finds a $ that does not open ${…} nor escape $${…}: it is kept as text.
var bareDollar = regexp.MustCompile(`\$([^{$]|$)`)

// Substitute replaces ${var} expressions (with bash's defaults and operators) in every
// object not annotated or labelled kustomize.toolkit.fluxcd.io/substitute: disabled, on the
// object's YAML text as the controller does, so that a number stays a number. $${var} is an
// escape that leaves ${var}; $var without braces is left alone; an unset variable without a
// default becomes the empty string.
func Substitute(objs []*unstructured.Unstructured, vars map[string]string) ([]*unstructured.Unstructured, error) {
	out := make([]*unstructured.Unstructured, 0, len(objs))
	for _, obj := range objs {
		if obj.GetAnnotations()[kustomizev1.SubstituteAnnotation] == kustomizev1.DisabledValue ||
			obj.GetLabels()[kustomizev1.SubstituteAnnotation] == kustomizev1.DisabledValue {
			out = append(out, obj)
			continue
		}
		data, err := yaml.Marshal(obj.Object)
		if err != nil {
			return nil, fmt.Errorf("failed to encode %s/%s: %w", obj.GetKind(), obj.GetName(), err)
		}
		text := bareDollar.ReplaceAllString(string(data), "$$$$$1")
		res, err := envsubst.Eval(text, func(name string) string { return vars[name] })
		if err != nil {
			return nil, fmt.Errorf("failed to substitute the variables of %s/%s: %w", obj.GetKind(), obj.GetName(), err)
		}
		js, err := yaml.YAMLToJSON([]byte(res))
		if err != nil {
			return nil, fmt.Errorf("the substituted %s/%s is not valid YAML: %w", obj.GetKind(), obj.GetName(), err)
		}
		sub := &unstructured.Unstructured{}
		if err := sub.UnmarshalJSON(js); err != nil {
			return nil, fmt.Errorf("failed to decode the substituted %s/%s: %w", obj.GetKind(), obj.GetName(), err)
		}
		out = append(out, sub)
	}
	return out, nil
}
