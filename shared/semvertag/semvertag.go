// Package semvertag picks the tag with the highest semantic version within a range, as
// GitRepository's spec.ref.semver and OCIRepository's spec.ref.semver select a tag.
package semvertag

import (
	"regexp"
	"sort"

	"github.com/Masterminds/semver/v3"
)

// Highest returns the tag with the highest semantic version within constraint among the tags
// that match re (all when re is nil), or "" when none does. A leading v is allowed. Of tags
// with equal versions (v1.0.0 and 1.0.0) the greatest name wins, so the choice never depends
// on the order of tags.
func Highest(tags []string, constraint *semver.Constraints, re *regexp.Regexp) string {
	type candidate struct {
		tag string
		v   *semver.Version
	}
	var found []candidate
	for _, tag := range tags {
		if re != nil && !re.MatchString(tag) {
			continue
		}
		v, err := semver.NewVersion(tag)
		if err != nil || !constraint.Check(v) {
			continue
		}
		found = append(found, candidate{tag, v})
	}
	if len(found) == 0 {
		return ""
	}
	sort.Slice(found, func(i, j int) bool {
		if found[i].v.Equal(found[j].v) {
			return found[i].tag > found[j].tag
		}
		return found[i].v.GreaterThan(found[j].v)
	})
	return found[0].tag
}
