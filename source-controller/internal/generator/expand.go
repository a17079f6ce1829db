package generator

import (
	"context"
	"fmt"
	"strings"

	"k8s.io/apimachinery/pkg/util/validation"

	sourceextv1beta1 "github.com/ferry-gitops/ferry/shared/api/sourceext/v1beta1"
)

// Artifact is one artifact to compose and publish: an artifact of spec.artifacts, with its
// placeholders replaced by the captures of one directory when spec.pathPattern is set.
type Artifact struct {
	sourceextv1beta1.OutputArtifact
	// Dir is the directory of the source spec.pathPattern matched; empty without it.
	Dir string
	// Labels are the captures of Dir, lowercased, by capture name: labels of the artifact's
	// ExternalArtifact. Nil without spec.pathPattern.
	Labels map[string]string
}

// Expand returns the artifacts to compose. Without spec.pathPattern they are spec.artifacts.
// With it, each artifact of spec.artifacts is instantiated for each directory the pattern
// matches in its source (sources[alias] is the directory the source's artifact was extracted
// into), directory by directory in the order of their paths: the placeholders of name are
// replaced by the captures lowercased, those of copy[].from and copy[].to by the captures as
// they are. A pattern matching no directory gives no artifact. A capture that is not a label
// value, a name that is not a Kubernetes object name, and two directories giving one name are
// errors matching ErrBuild (a new revision of the source, or a new spec, mends them); failures
// to read the source are not.
func Expand(ctx context.Context, spec *sourceextv1beta1.ArtifactGeneratorSpec, sources map[string]string) ([]Artifact, error) {
	if spec.PathPattern == "" {
		out := make([]Artifact, 0, len(spec.OutputArtifacts))
		for _, oa := range spec.OutputArtifacts {
			out = append(out, Artifact{OutputArtifact: oa})
		}
		return out, nil
	}
	p, err := ParsePathPattern(spec.PathPattern)
	if err != nil {
		return nil, err
	}
	root, ok := sources[p.Alias]
	if !ok {
		return nil, invalidf("spec.pathPattern: source alias '%s' is not declared in spec.sources", p.Alias)
	}
	matches, err := p.Match(ctx, root)
	if err != nil {
		return nil, err
	}
	var out []Artifact
	dirOf := map[string]string{} // the directory that gave each name
	for _, m := range matches {
		labels, err := p.labels(m)
		if err != nil {
			return nil, err
		}
		for i := range spec.OutputArtifacts {
			a, err := instantiate(&spec.OutputArtifacts[i], m, labels)
			if err != nil {
				return nil, fmt.Errorf("spec.artifacts[%d].name: %w", i, err)
			}
			if prev, dup := dirOf[a.Name]; dup {
				return nil, buildf("spec.artifacts[%d].name: the directories '%s' and '%s' of source '%s' both give the artifact name '%s'",
					i, prev, m.Dir, p.Alias, a.Name)
			}
			dirOf[a.Name] = m.Dir
			out = append(out, a)
		}
	}
	return out, nil
}

// labels returns the captures of m lowercased, refusing one that is not a label value.
func (p *PathPattern) labels(m Match) (map[string]string, error) {
	labels := make(map[string]string, len(m.Captures))
	for _, name := range p.captures {
		v := strings.ToLower(m.Captures[name])
		if errs := validation.IsValidLabelValue(v); len(errs) > 0 {
			return nil, buildf("spec.pathPattern '%s': the directory '%s' of source '%s' captures '%s' as '{%s}', which is not a valid Kubernetes label value: %s",
				p.raw, m.Dir, p.Alias, m.Captures[name], name, strings.Join(errs, "; "))
		}
		labels[name] = v
	}
	return labels, nil
}

// instantiate returns oa for the directory m: name rendered with the lowercased captures
// (labels), copy paths with the captures as they are.
func instantiate(oa *sourceextv1beta1.OutputArtifact, m Match, labels map[string]string) (Artifact, error) {
	a := Artifact{OutputArtifact: *oa.DeepCopy(), Dir: m.Dir, Labels: labels}
	a.Name = Render(oa.Name, labels)
	if errs := validation.IsDNS1123Subdomain(a.Name); len(errs) > 0 {
		return Artifact{}, buildf("'%s' gives '%s' for the directory '%s', which is not a valid Kubernetes object name: %s",
			oa.Name, a.Name, m.Dir, strings.Join(errs, "; "))
	}
	for j := range a.Copy {
		a.Copy[j].From = Render(a.Copy[j].From, m.Captures)
		a.Copy[j].To = Render(a.Copy[j].To, m.Captures)
	}
	return a, nil
}
