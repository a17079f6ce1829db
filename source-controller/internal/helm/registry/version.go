package registry

import (
	"fmt"
	"sort"
	"strings"

	"github.com/Masterminds/semver/v3"

	"github.com/ferry-gitops/ferry/source-controller/internal/helm/index"
)

// ResolveTag returns the tag of the newest chart version among tags that matches constraint
// (a version or semver range; empty means "*"), and that version. OCI tags cannot hold '+',
// so Helm writes it as '_'; the version has it back.
func ResolveTag(tags []string, constraint string) (tag, version string, err error) {
	if constraint == "" {
		constraint = "*"
	}
	type candidate struct {
		tag string
		v   *semver.Version
	}
	var found []candidate
	for _, t := range tags {
		v, err := semver.NewVersion(strings.ReplaceAll(t, "_", "+"))
		if err != nil {
			continue
		}
		if v.Original() == constraint || strings.ReplaceAll(t, "_", "+") == constraint {
			return t, v.Original(), nil
		}
		found = append(found, candidate{t, v})
	}
	c, err := semver.NewConstraint(constraint)
	if err != nil {
		return "", "", fmt.Errorf("version %q is not a semver range: %w", constraint, index.ErrInvalidConstraint)
	}
	sort.SliceStable(found, func(i, j int) bool { return found[i].v.GreaterThan(found[j].v) })
	for _, f := range found {
		if c.Check(f.v) {
			return f.tag, f.v.Original(), nil
		}
	}
	return "", "", fmt.Errorf("no tag matches %q among %d version tags: %w", constraint, len(found), index.ErrVersionNotFound)
}
