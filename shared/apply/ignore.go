package apply

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"

	fluxmeta "github.com/ferry-gitops/ferry/shared/api/meta"
)

// Ignorer applies drift ignore rules (a Kustomization's spec.ignore, a HelmRelease's
// spec.driftDetection.ignore): the fields they name, on the objects they target, are left as
// the cluster has them. The nil Ignorer has no rules.
type Ignorer struct {
	rules []compiledRule
}

// none reports whether i ignores nothing (nil, or no rules).
func (i *Ignorer) none() bool { return i == nil || len(i.rules) == 0 }

// compiledRule is one ignore rule with its selector parsed.
type compiledRule struct {
	paths []string
	// group, version, kind, name and namespace are anchored regular expressions, nil when
	// the target leaves the field empty (any value matches).
	group, version, kind, name, namespace *regexp.Regexp
	labels, annotations                   labels.Selector
}

// NewIgnorer parses the rules; a bad pointer, pattern or selector expression is an error. As
// in Flux, the group, version, kind, name and namespace of a target are regular expressions
// that must match the whole value.
func NewIgnorer(rules []fluxmeta.IgnoreRule) (*Ignorer, error) {
	out := &Ignorer{}
	for i, r := range rules {
		cr := compiledRule{paths: r.Paths, labels: labels.Everything(), annotations: labels.Everything()}
		if t := r.Target; t != nil {
			if err := cr.compileTarget(t); err != nil {
				return nil, fmt.Errorf("failed to parse ignore rule %d: %w", i, err)
			}
		}
		for _, p := range r.Paths {
			if _, err := splitPointer(p); err != nil {
				return nil, fmt.Errorf("failed to parse ignore rule %d: %w", i, err)
			}
		}
		out.rules = append(out.rules, cr)
	}
	return out, nil
}

// compileTarget parses the patterns and selectors of t.
func (r *compiledRule) compileTarget(t *fluxmeta.Selector) error {
	for _, f := range []struct {
		field, pattern string
		dst            **regexp.Regexp
	}{
		{"group", t.Group, &r.group}, {"version", t.Version, &r.version}, {"kind", t.Kind, &r.kind},
		{"name", t.Name, &r.name}, {"namespace", t.Namespace, &r.namespace},
	} {
		if f.pattern == "" {
			continue
		}
		re, err := regexp.Compile("^(?:" + f.pattern + ")$")
		if err != nil {
			return fmt.Errorf("target %s: %w", f.field, err)
		}
		*f.dst = re
	}
	var err error
	if r.labels, err = labels.Parse(t.LabelSelector); err != nil {
		return fmt.Errorf("target labelSelector: %w", err)
	}
	if r.annotations, err = labels.Parse(t.AnnotationSelector); err != nil {
		return fmt.Errorf("target annotationSelector: %w", err)
	}
	return nil
}

// Strip removes from obj every field named by a rule whose target selects match (the
// live object when there is one, else the desired one).
func (ig *Ignorer) Strip(obj, match *unstructured.Unstructured) {
	if ig == nil {
		return
	}
	for _, r := range ig.rules {
		if !r.matches(match) {
			continue
		}
		for _, p := range r.paths {
			parts, _ := splitPointer(p)
			removePath(obj.Object, parts)
		}
	}
}

// Keep sets, in obj, every field named by a rule whose target selects obj to its value in
// live, and removes those live does not have, so that applying obj leaves them as the cluster
// has them. It reports whether any rule selected obj.
func (ig *Ignorer) Keep(obj, live *unstructured.Unstructured) bool {
	if ig == nil {
		return false
	}
	kept := false
	for _, r := range ig.rules {
		if !r.matches(obj) {
			continue
		}
		kept = true
		for _, p := range r.paths {
			parts, _ := splitPointer(p)
			if v, ok := lookupPath(live.Object, parts); ok {
				setPath(obj.Object, parts, runtime.DeepCopyJSONValue(v))
			} else {
				removePath(obj.Object, parts)
			}
		}
	}
	return kept
}

// lookupPath returns the value at parts in doc.
func lookupPath(doc any, parts []string) (any, bool) {
	for _, key := range parts {
		switch v := doc.(type) {
		case map[string]any:
			child, ok := v[key]
			if !ok {
				return nil, false
			}
			doc = child
		case []any:
			i, err := strconv.Atoi(key)
			if err != nil || i < 0 || i >= len(v) {
				return nil, false
			}
			doc = v[i]
		default:
			return nil, false
		}
	}
	return doc, true
}

// setPath sets the value at parts in doc, creating the maps on the way; a list too short for
// an index, or a path through a scalar, is left alone.
func setPath(doc any, parts []string, value any) {
	for i, key := range parts {
		last := i == len(parts)-1
		switch v := doc.(type) {
		case map[string]any:
			if last {
				v[key] = value
				return
			}
			if _, ok := v[key]; !ok {
				v[key] = map[string]any{}
			}
			doc = v[key]
		case []any:
			n, err := strconv.Atoi(key)
			if err != nil || n < 0 || n >= len(v) {
				return
			}
			if last {
				v[n] = value
				return
			}
			doc = v[n]
		default:
			return
		}
	}
}

// matches reports whether the rule targets obj.
func (r compiledRule) matches(obj *unstructured.Unstructured) bool {
	gvk := obj.GroupVersionKind()
	for _, f := range []struct {
		re    *regexp.Regexp
		value string
	}{
		{r.group, gvk.Group}, {r.version, gvk.Version}, {r.kind, gvk.Kind},
		{r.name, obj.GetName()}, {r.namespace, obj.GetNamespace()},
	} {
		if f.re != nil && !f.re.MatchString(f.value) {
			return false
		}
	}
	return r.labels.Matches(labels.Set(obj.GetLabels())) &&
		r.annotations.Matches(labels.Set(obj.GetAnnotations()))
}

// splitPointer parses a JSON pointer (RFC 6901) into its unescaped reference tokens.
func splitPointer(p string) ([]string, error) {
	if p == "" {
		return nil, fmt.Errorf("invalid JSON pointer %q: the whole object cannot be ignored", p)
	}
	if !strings.HasPrefix(p, "/") {
		return nil, fmt.Errorf("invalid JSON pointer %q: it must start with /", p)
	}
	parts := strings.Split(p[1:], "/")
	for i, s := range parts {
		parts[i] = strings.ReplaceAll(strings.ReplaceAll(s, "~1", "/"), "~0", "~")
	}
	return parts, nil
}

// removePath deletes the field at parts from doc, walking maps by key and lists by index;
// a path that does not exist is left alone.
func removePath(doc any, parts []string) any {
	if len(parts) == 0 {
		return doc
	}
	key, rest := parts[0], parts[1:]
	switch v := doc.(type) {
	case map[string]any:
		child, ok := v[key]
		if !ok {
			return v
		}
		if len(rest) == 0 {
			delete(v, key)
		} else {
			v[key] = removePath(child, rest)
		}
		return v
	case []any:
		i, err := strconv.Atoi(key)
		if err != nil || i < 0 || i >= len(v) {
			return v
		}
		if len(rest) == 0 {
			return append(v[:i:i], v[i+1:]...)
		}
		v[i] = removePath(v[i], rest)
		return v
	default:
		return doc
	}
}
