package policy

import (
	"regexp"
	"slices"
	"strings"
	"testing"

	imagev1 "github.com/ferry-gitops/ferry/shared/api/image/v1"
)

// FuzzFilterExtract feeds untrusted filterTags (pattern and extract) and tags to the selector:
// it never panics, a spec it accepts elects one of the tags that match the pattern, and the
// election does not depend on the order of tags.
func FuzzFilterExtract(f *testing.F) {
	f.Add(`^main-[a-f0-9]+-(?P<ts>[0-9]+)$`, "$ts", "main-abc-1700000000,main-def-1700000100,dev-1", "numerical")
	f.Add(`^v?(?P<v>.*)$`, "${v}", "v1.0.0,1.2.0,2.0.0-rc.1", "semver")
	f.Add(`(a)(b)?`, "$2$1$$", "ab,a,b", "alphabetical")
	f.Add(`[`, "$1", "x", "semver")
	f.Add(``, "", "", "alphabetical")
	f.Fuzz(func(t *testing.T, pattern, extract, tagList, order string) {
		var choice imagev1.ImagePolicyChoice
		switch order {
		case "numerical":
			choice.Numerical = &imagev1.NumericalPolicy{}
		case "semver":
			choice.SemVer = &imagev1.SemVerPolicy{Range: ">=0.0.0-0"}
		default:
			choice.Alphabetical = &imagev1.AlphabeticalPolicy{Order: imagev1.OrderDesc}
		}
		s, err := New(imagev1.ImagePolicySpec{Policy: choice, FilterTags: &imagev1.TagFilter{Pattern: pattern, Extract: extract}})
		if err != nil {
			if _, ok := err.(*FieldError); !ok {
				t.Fatalf("New = %v, want a *FieldError", err)
			}
			return
		}
		tags := strings.Split(tagList, ",")
		latest, considered, ok := s.Select(tags)
		if considered > len(tags) {
			t.Fatalf("considered %d of %d tags", considered, len(tags))
		}
		if !ok {
			return
		}
		if !slices.Contains(tags, latest) {
			t.Fatalf("elected %q, which is not a tag", latest)
		}
		if pattern != "" && !regexp.MustCompile(pattern).MatchString(latest) {
			t.Fatalf("elected %q, which does not match %q", latest, pattern)
		}
		slices.Reverse(tags)
		if again, _, _ := s.Select(tags); again != latest {
			t.Fatalf("elected %q, then %q from the reversed tags", latest, again)
		}
	})
}
