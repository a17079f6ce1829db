// Package generator composes the artifacts of an ArtifactGenerator: it checks a spec's
// aliases and paths (Validate), and runs copy operations from the extracted artifacts of the
// sources into an artifact's directory (Apply): files, directories and globs, exclusions,
// and the Overwrite, Merge and Extract strategies. It holds no Kubernetes client.
package generator

import (
	"errors"
	"fmt"
	"path"
	"strings"

	"github.com/bmatcuk/doublestar/v4"

	sourceextv1beta1 "github.com/ferry-gitops/ferry/shared/api/sourceext/v1beta1"
)

// ErrInvalid is matched (errors.Is) by the errors of Validate: the spec cannot work until it
// changes.
var ErrInvalid = errors.New("invalid ArtifactGenerator spec")

// ErrBuild is matched by the errors of Apply caused by what the sources hold (a path that
// does not exist, a glob matching nothing, YAML that does not merge, a tarball that does not
// extract): a new revision of a source, or a new spec, mends them. Other errors of Apply are
// failures of the local disk.
var ErrBuild = errors.New("artifact build failed")

// classError is an error of one of the classes above.
type classError struct {
	class error
	msg   string
}

func (e *classError) Error() string        { return e.msg }
func (e *classError) Is(target error) bool { return target == e.class }

func invalidf(format string, args ...any) error {
	return &classError{class: ErrInvalid, msg: fmt.Sprintf(format, args...)}
}

func buildf(format string, args ...any) error {
	return &classError{class: ErrBuild, msg: fmt.Sprintf(format, args...)}
}

// artifactPrefix starts every copy destination.
const artifactPrefix = "@" + sourceextv1beta1.ArtifactAlias + "/"

// ParseFrom splits "@<alias>/<path or glob>" into the alias and the slash-separated path
// below the source's root ("" for the root itself). A path that climbs out of the root
// ("..") is refused.
func ParseFrom(from string) (alias, pattern string, err error) {
	rest, ok := strings.CutPrefix(from, "@")
	if !ok {
		return "", "", invalidf("'%s' does not start with '@<alias>/'", from)
	}
	alias, pattern, ok = strings.Cut(rest, "/")
	if !ok || alias == "" {
		return "", "", invalidf("'%s' is not of the form '@<alias>/<path>'", from)
	}
	if err := checkRelative(pattern); err != nil {
		return "", "", invalidf("'%s' %s of source '%s'", from, err, alias)
	}
	if !doublestar.ValidatePattern(pattern) {
		return "", "", invalidf("'%s' is not a valid glob", from)
	}
	return alias, strings.TrimPrefix(pattern, "/"), nil
}

// ParseTo returns the path "@artifact/<path>" names in the artifact ("" for its root), and
// whether it names a directory (a trailing '/', or the root). A path that climbs out of the
// artifact ("..") is refused.
func ParseTo(to string) (rel string, dir bool, err error) {
	rest, ok := strings.CutPrefix(to, artifactPrefix)
	if !ok {
		return "", false, invalidf("'%s' does not start with '%s'", to, artifactPrefix)
	}
	if err := checkRelative(rest); err != nil {
		return "", false, invalidf("'%s' %s of the artifact", to, err)
	}
	dir = rest == "" || strings.HasSuffix(rest, "/")
	rel = strings.Trim(path.Clean("/"+rest), "/")
	return rel, dir, nil
}

// checkRelative refuses a path with a ".." element or a backslash (which some tools read as
// a separator).
func checkRelative(p string) error {
	if strings.Contains(p, "\\") {
		return errors.New("holds a backslash; use '/' to separate the path")
	}
	for _, elem := range strings.Split(p, "/") {
		if elem == ".." {
			return errors.New("leaves the root")
		}
	}
	return nil
}

// Validate checks what the API server cannot: aliases and artifact names are unique, every
// alias used is declared, paths stay below their roots and globs are valid; with
// spec.pathPattern, the pattern parses and every placeholder of an artifact's name, from and
// to is one of its captures (paths are checked with each placeholder replaced by a directory
// name). Its error, which names the field, matches ErrInvalid.
func Validate(spec *sourceextv1beta1.ArtifactGeneratorSpec) error {
	aliases := map[string]bool{}
	for i, s := range spec.Sources {
		if aliases[s.Alias] {
			return invalidf("spec.sources[%d].alias: '%s' is used by another source", i, s.Alias)
		}
		aliases[s.Alias] = true
	}
	var pattern *PathPattern
	if spec.PathPattern != "" {
		var err error
		if pattern, err = ParsePathPattern(spec.PathPattern); err != nil {
			return err
		}
		if !aliases[pattern.Alias] {
			return invalidf("spec.pathPattern: source alias '%s' is not declared in spec.sources", pattern.Alias)
		}
	}
	names := map[string]bool{}
	for i := range spec.OutputArtifacts {
		oa := &spec.OutputArtifacts[i]
		field := fmt.Sprintf("spec.artifacts[%d]", i)
		if names[oa.Name] {
			return invalidf("%s.name: '%s' is the name of another artifact", field, oa.Name)
		}
		names[oa.Name] = true
		if err := validateArtifact(field, oa, aliases, pattern); err != nil {
			return err
		}
	}
	return nil
}

// validateArtifact checks the aliases, paths, globs and placeholders of one output artifact.
func validateArtifact(field string, oa *sourceextv1beta1.OutputArtifact, aliases map[string]bool, pattern *PathPattern) error {
	for _, ref := range []struct{ name, value string }{{"revision", oa.Revision}, {"originRevision", oa.OriginRevision}} {
		if alias := strings.TrimPrefix(ref.value, "@"); ref.value != "" && !aliases[alias] {
			return invalidf("%s.%s: source alias '%s' is not declared in spec.sources", field, ref.name, alias)
		}
	}
	sample, err := checkPlaceholders(field+".name", oa.Name, pattern)
	if err != nil {
		return err
	}
	for j, op := range oa.Copy {
		if _, err := checkPlaceholders(fmt.Sprintf("%s.copy[%d].from", field, j), op.From, pattern); err != nil {
			return err
		}
		if _, err := checkPlaceholders(fmt.Sprintf("%s.copy[%d].to", field, j), op.To, pattern); err != nil {
			return err
		}
		alias, _, err := ParseFrom(Render(op.From, sample))
		if err != nil {
			return fmt.Errorf("%s.copy[%d].from: %w", field, j, err)
		}
		if !aliases[alias] {
			return invalidf("%s.copy[%d].from: source alias '%s' is not declared in spec.sources", field, j, alias)
		}
		if _, _, err := ParseTo(Render(op.To, sample)); err != nil {
			return fmt.Errorf("%s.copy[%d].to: %w", field, j, err)
		}
		for k, ex := range op.Exclude {
			if !doublestar.ValidatePattern(ex) {
				return invalidf("%s.copy[%d].exclude[%d]: '%s' is not a valid glob", field, j, k, ex)
			}
		}
	}
	return nil
}

// checkPlaceholders refuses a placeholder of value (the field) that is not a capture of
// pattern; without a pattern there are no placeholders. It returns a directory name for each
// capture, to check the paths the field gives.
func checkPlaceholders(field, value string, pattern *PathPattern) (map[string]string, error) {
	if pattern == nil {
		return nil, nil
	}
	sample := map[string]string{}
	for _, name := range pattern.captures {
		sample[name] = "x"
	}
	for _, name := range Placeholders(value) {
		if _, ok := sample[name]; !ok {
			return nil, invalidf("%s: '{%s}' in '%s' is not a capture of spec.pathPattern '%s' (captures: %s)",
				field, name, value, pattern.raw, captureList(pattern.captures))
		}
	}
	return sample, nil
}

// captureList writes capture names as placeholders: "{app}, {env}", or "none".
func captureList(names []string) string {
	if len(names) == 0 {
		return "none"
	}
	out := make([]string, len(names))
	for i, n := range names {
		out[i] = "{" + n + "}"
	}
	return strings.Join(out, ", ")
}
