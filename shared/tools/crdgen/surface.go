package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	"sigs.k8s.io/yaml"
)

// SurfaceLine is one field path of Flux's CRDs: version, kind, path, type, enum, required.
type SurfaceLine struct {
	GroupVersion, Kind, Path, Type string
	Enum                           []string
	Required                       bool
	raw                            string
}

// Miss is a surface line the CRDs do not match, with why.
type Miss struct {
	Line   SurfaceLine
	Reason string
}

// Report is the result of comparing the CRDs with the surface.
type Report struct {
	Total, Matched int
	Misses         []Miss
}

// Percent is the share of surface lines matched.
func (r *Report) Percent() float64 {
	if r.Total == 0 {
		return 0
	}
	return 100 * float64(r.Matched) / float64(r.Total)
}

// String prints the figure and every miss.
func (r *Report) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "API surface coverage: %d/%d field paths (%.1f%%)\n", r.Matched, r.Total, r.Percent())
	for _, m := range r.Misses {
		fmt.Fprintf(&b, "  missing: %s  (%s)\n", m.Line.raw, m.Reason)
	}
	return b.String()
}

// ParseSurface reads the surface file.
func ParseSurface(path string) ([]SurfaceLine, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("failed to open surface: %w", err)
	}
	defer f.Close()
	var lines []SurfaceLine
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) < 4 {
			continue
		}
		l := SurfaceLine{GroupVersion: fields[0], Kind: fields[1], Path: fields[2], Type: fields[3], raw: sc.Text()}
		for _, f := range fields[4:] {
			switch {
			case f == "required":
				l.Required = true
			case strings.HasPrefix(f, "enum="):
				l.Enum = strings.Split(strings.TrimPrefix(f, "enum="), "|")
			}
		}
		lines = append(lines, l)
	}
	return lines, sc.Err()
}

// LoadSchemas reads the CRDs in dir and returns the schema of every served version by
// "<group>/<version> <Kind>".
func LoadSchemas(dir string) (map[string]*apiextensionsv1.JSONSchemaProps, error) {
	files, err := filepath.Glob(filepath.Join(dir, "*.yaml"))
	if err != nil {
		return nil, err
	}
	out := map[string]*apiextensionsv1.JSONSchemaProps{}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			return nil, err
		}
		var crd apiextensionsv1.CustomResourceDefinition
		if err := yaml.Unmarshal(data, &crd); err != nil || crd.Kind != "CustomResourceDefinition" {
			continue
		}
		for _, v := range crd.Spec.Versions {
			if v.Schema != nil && v.Served {
				out[crd.Spec.Group+"/"+v.Name+" "+crd.Spec.Names.Kind] = v.Schema.OpenAPIV3Schema
			}
		}
	}
	return out, nil
}

// Coverage compares the CRDs in crdDir with the surface file.
func Coverage(surfacePath, crdDir string) (*Report, error) {
	lines, err := ParseSurface(surfacePath)
	if err != nil {
		return nil, err
	}
	schemas, err := LoadSchemas(crdDir)
	if err != nil {
		return nil, err
	}
	rep := &Report{Total: len(lines)}
	for _, l := range lines {
		if reason := check(schemas[l.GroupVersion+" "+l.Kind], l); reason != "" {
			rep.Misses = append(rep.Misses, Miss{Line: l, Reason: reason})
			continue
		}
		rep.Matched++
	}
	return rep, nil
}

func check(root *apiextensionsv1.JSONSchemaProps, l SurfaceLine) string {
	if root == nil {
		return "no CRD for " + l.GroupVersion + " " + l.Kind
	}
	parent, node := (*apiextensionsv1.JSONSchemaProps)(nil), root
	segments := strings.Split(l.Path, ".")
	for i, seg := range segments {
		name := strings.TrimSuffix(strings.TrimSuffix(seg, "[]"), "{}")
		p, ok := node.Properties[name]
		if !ok {
			return "no field " + strings.Join(segments[:i+1], ".")
		}
		parent, node = node, &p
		switch {
		case strings.HasSuffix(seg, "[]"):
			if node.Items == nil || node.Items.Schema == nil {
				return "not an array: " + name
			}
			parent, node = node, node.Items.Schema
		case strings.HasSuffix(seg, "{}"):
			if node.AdditionalProperties == nil || node.AdditionalProperties.Schema == nil {
				return "not a map: " + name
			}
			parent, node = node, node.AdditionalProperties.Schema
		}
	}
	return compare(parent, node, l, strings.TrimSuffix(strings.TrimSuffix(segments[len(segments)-1], "[]"), "{}"))
}

func compare(parent, node *apiextensionsv1.JSONSchemaProps, l SurfaceLine, name string) string {
	switch {
	case l.Type == "any":
		if node.Type != "" || node.XPreserveUnknownFields == nil || !*node.XPreserveUnknownFields {
			return "want free-form value, got type " + node.Type
		}
	case node.Type != l.Type:
		return fmt.Sprintf("type %s, want %s", node.Type, l.Type)
	}
	if got := enumOf(node); !equalSets(got, l.Enum) {
		return fmt.Sprintf("enum %v, want %v", got, l.Enum)
	}
	last := l.Path[strings.LastIndex(l.Path, ".")+1:]
	if l.Required != contains(parent.Required, name) && !strings.HasSuffix(last, "[]") && !strings.HasSuffix(last, "{}") {
		return fmt.Sprintf("required %v, want %v", !l.Required, l.Required)
	}
	return ""
}

func enumOf(p *apiextensionsv1.JSONSchemaProps) []string {
	var out []string
	for _, e := range p.Enum {
		var s any
		if err := json.Unmarshal(e.Raw, &s); err == nil {
			out = append(out, fmt.Sprint(s))
		}
	}
	return out
}

func equalSets(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	a, b = append([]string(nil), a...), append([]string(nil), b...)
	sort.Strings(a)
	sort.Strings(b)
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}
