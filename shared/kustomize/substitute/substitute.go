// Package substitute replaces ${var} expressions in built objects with the values of the
// Kustomization's postBuild variables, the way Flux does: on the YAML text of each object, so
// that a substituted number or boolean takes its YAML type.
//
// Supported forms: ${var}; defaults ${var:=default}, ${var=default}, ${var:-default},
// ${var-default}; ${#var} (length); substrings ${var:offset} and ${var:offset:length};
// case ${var^}, ${var^^}, ${var,}, ${var,,}; pattern removal ${var#p}, ${var##p}, ${var%p},
// ${var%%p} (p may use * and ?); replacement ${var/old/new}, ${var//old/new},
// ${var/#old/new}, ${var/%old/new}. $${var} is an escape that leaves the text ${var};
// $var without braces is never substituted.
package substitute

import (
	"fmt"
	"regexp"
	"sort"
	"strings"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/yaml"

	kustomizev1 "github.com/ferry-gitops/ferry/shared/api/kustomize/v1"
)

// varName is the rule every variable name must follow.
var varName = regexp.MustCompile(`^[_[:alpha:]][_[:alpha:][:digit:]]*$`)

// Apply substitutes vars in every object that is not annotated (or labelled)
// kustomize.toolkit.fluxcd.io/substitute: disabled. A variable that is not set and has no
// default becomes the empty string, or, when strict, an error naming the variable and the
// object. A variable name that is not a valid identifier is an error.
//
// As with Flux, substitution works on the YAML text of the built object, whose quoting
// Kustomize has already normalised: a substituted value takes its YAML type whether the source
// quoted the expression or not (replicas: ${n} becomes a number, and so does "${port}"). To
// get a string, put the quotes in the text: ${quote}${port}${quote} with quote set to '"'.
func Apply(objs []*unstructured.Unstructured, vars map[string]string, strict bool) error {
	if err := validate(vars); err != nil {
		return err
	}
	for _, obj := range objs {
		if Disabled(obj.GetAnnotations(), obj.GetLabels()) {
			continue
		}
		// An object without variables is left alone, whatever it holds: YAML cannot write
		// some strings (control characters) that JSON and the API server accept.
		if !hasVariable(obj.Object) {
			continue
		}
		text, err := yaml.Marshal(obj.Object)
		if err != nil {
			return fmt.Errorf("failed to encode %s: %w", objectName(obj), err)
		}
		out, err := document(text, vars, strict)
		if err != nil {
			return fmt.Errorf("failed to substitute variables in %s: %w", objectName(obj), err)
		}
		obj.Object = out.Object
	}
	return nil
}

// hasVariable reports whether a key or string value of v, at any depth, holds "${".
func hasVariable(v any) bool {
	switch v := v.(type) {
	case string:
		return strings.Contains(v, "${")
	case map[string]any:
		for k, e := range v {
			if strings.Contains(k, "${") || hasVariable(e) {
				return true
			}
		}
	case []any:
		for _, e := range v {
			if hasVariable(e) {
				return true
			}
		}
	}
	return false
}

// validate checks that every variable name is a valid identifier.
func validate(vars map[string]string) error {
	names := make([]string, 0, len(vars))
	for name := range vars {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		if !varName.MatchString(name) {
			return fmt.Errorf("failed to substitute variables: %q is not a valid variable name (it must match %s)",
				name, varName.String())
		}
	}
	return nil
}

// Disabled reports whether an object with these annotations and labels opts out of
// substitution.
func Disabled(annotations, labels map[string]string) bool {
	return annotations[kustomizev1.SubstituteAnnotation] == kustomizev1.DisabledValue ||
		labels[kustomizev1.SubstituteAnnotation] == kustomizev1.DisabledValue
}

// document substitutes vars in the YAML text of one object and decodes the result. Callers
// name the object in the error.
func document(text []byte, vars map[string]string, strict bool) (*unstructured.Unstructured, error) {
	out, err := Expand(string(text), vars, strict)
	if err != nil {
		return nil, err
	}
	raw, err := yaml.YAMLToJSON([]byte(out))
	if err != nil {
		return nil, fmt.Errorf("the substituted object is not valid YAML: %w", err)
	}
	result := &unstructured.Unstructured{}
	if err := result.UnmarshalJSON(raw); err != nil {
		return nil, fmt.Errorf("the substituted object is not a valid object: %w", err)
	}
	return result, nil
}

// MergeVars merges variables in order: the data of each substituteFrom source (ConfigMap data,
// or Secret data as strings) in spec order, later sources overriding earlier ones, and then
// spec.postBuild.substitute, which overrides them all. As in Flux, line breaks are removed
// from every value, so that a value read from a file (which usually ends in one) substitutes
// as a single line.
func MergeVars(from []map[string]string, substitute map[string]string) map[string]string {
	out := map[string]string{}
	add := func(m map[string]string) {
		for k, v := range m {
			out[k] = strings.ReplaceAll(v, "\n", "")
		}
	}
	for _, m := range from {
		add(m)
	}
	add(substitute)
	return out
}

// SecretVars converts the data of a Secret to variables.
func SecretVars(data map[string][]byte) map[string]string {
	out := make(map[string]string, len(data))
	for k, v := range data {
		out[k] = string(v)
	}
	return out
}

// objectName names an object for messages: Kind/namespace/name.
func objectName(obj *unstructured.Unstructured) string {
	if ns := obj.GetNamespace(); ns != "" {
		return fmt.Sprintf("%s/%s/%s", obj.GetKind(), ns, obj.GetName())
	}
	return fmt.Sprintf("%s/%s", obj.GetKind(), obj.GetName())
}
