package policy

import (
	"testing"

	imagev1 "github.com/ferry-gitops/ferry/shared/api/image/v1"
)

func semverPolicy(rng string) imagev1.ImagePolicyChoice {
	return imagev1.ImagePolicyChoice{SemVer: &imagev1.SemVerPolicy{Range: rng}}
}

func alphabeticalPolicy(order string) imagev1.ImagePolicyChoice {
	return imagev1.ImagePolicyChoice{Alphabetical: &imagev1.AlphabeticalPolicy{Order: order}}
}

func numericalPolicy(order string) imagev1.ImagePolicyChoice {
	return imagev1.ImagePolicyChoice{Numerical: &imagev1.NumericalPolicy{Order: order}}
}

func TestSelect(t *testing.T) {
	releases := []string{"latest", "1.0.0", "v1.1.0", "1.1.0", "1.2.0-rc.1", "1.10.0", "2.0.0-rc.1", "2.0.0-alpha", "0.9", "main-abc1234", "1.2.0+build.5"}
	builds := []string{"main-0f1e2d3-1700000000", "main-aa11bb2-1700000500", "main-cc33dd4-1699999999", "dev-ee55ff6-1800000000", "main-bad"}
	numbers := []string{"1", "10", "9", "100.5", "-3", "abc", "NaN", "0x10"}
	for _, tc := range []struct {
		name       string
		policy     imagev1.ImagePolicyChoice
		filter     *imagev1.TagFilter
		tags       []string
		want       string
		considered int
	}{
		{"semver any stable", semverPolicy("*"), nil, releases, "1.10.0", 11},
		{"semver 1.x", semverPolicy("1.x"), nil, releases, "1.10.0", 11},
		{"semver range skips pre-releases", semverPolicy(">=1.0.0 <2.0.0"), nil, releases, "1.10.0", 11},
		{"semver pre-releases when asked", semverPolicy(">=2.0.0-0"), nil, releases, "2.0.0-rc.1", 11},
		{"semver equal versions: greatest tag", semverPolicy("~1.1"), nil, releases, "v1.1.0", 11},
		{"semver partial version", semverPolicy("<1"), nil, releases, "0.9", 11},
		{"semver build metadata", semverPolicy("~1.2"), nil, []string{"1.2.0+build.5", "1.2.0+build.4"}, "1.2.0+build.5", 2},
		{"semver nothing in range", semverPolicy(">=5"), nil, releases, "", 11},
		{"semver with v prefix only", semverPolicy("*"), &imagev1.TagFilter{Pattern: `^v`}, releases, "v1.1.0", 1},
		{"semver on extracted values", semverPolicy("^1"), &imagev1.TagFilter{Pattern: `^app-(?P<version>.*)$`, Extract: "$version"},
			[]string{"app-1.0.0", "app-1.4.2", "app-2.0.0", "other-1.9.0"}, "app-1.4.2", 3},
		{"alphabetical asc", alphabeticalPolicy("asc"), nil, []string{"a", "c", "b"}, "c", 3},
		{"alphabetical default is asc", alphabeticalPolicy(""), nil, []string{"a", "c", "b"}, "c", 3},
		{"alphabetical desc", alphabeticalPolicy("desc"), nil, []string{"b", "a", "c"}, "a", 3},
		{"alphabetical timestamps extracted", alphabeticalPolicy("asc"), &imagev1.TagFilter{Pattern: `^main-[a-f0-9]+-(?P<ts>[0-9]+)$`, Extract: "$ts"},
			builds, "main-aa11bb2-1700000500", 3},
		{"numerical asc", numericalPolicy("asc"), nil, numbers, "100.5", 8},
		{"numerical desc", numericalPolicy("desc"), nil, numbers, "-3", 8},
		{"numerical extracted", numericalPolicy("asc"), &imagev1.TagFilter{Pattern: `-(?P<ts>[0-9]+)$`, Extract: "${ts}"},
			builds, "dev-ee55ff6-1800000000", 4},
		{"numerical none", numericalPolicy("asc"), nil, []string{"latest", "main"}, "", 2},
		{"filter matches nothing", alphabeticalPolicy("asc"), &imagev1.TagFilter{Pattern: `^release-`}, builds, "", 0},
		{"numbered group", alphabeticalPolicy("asc"), &imagev1.TagFilter{Pattern: `^(main|dev)-`, Extract: "$1"}, builds, "main-cc33dd4-1699999999", 5},
		{"no tags", semverPolicy("*"), nil, nil, "", 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, err := New(imagev1.ImagePolicySpec{Policy: tc.policy, FilterTags: tc.filter})
			if err != nil {
				t.Fatal(err)
			}
			got, considered, ok := s.Select(tc.tags)
			if got != tc.want || ok != (tc.want != "") || considered != tc.considered {
				t.Fatalf("Select = %q, %d, %v; want %q, %d", got, considered, ok, tc.want, tc.considered)
			}
			reversed := make([]string, len(tc.tags))
			for i, tag := range tc.tags {
				reversed[len(tc.tags)-1-i] = tag
			}
			if again, _, _ := s.Select(reversed); again != got {
				t.Fatalf("Select of the reversed tags = %q, want %q: the order of tags matters", again, got)
			}
		})
	}
}

func TestNewRefusesBadSpecs(t *testing.T) {
	for _, tc := range []struct {
		name   string
		spec   imagev1.ImagePolicySpec
		field  string
		substr string
	}{
		{"no policy", imagev1.ImagePolicySpec{}, "spec.policy", "set exactly one of semver, alphabetical, numerical (0 set)"},
		{"two policies", imagev1.ImagePolicySpec{Policy: imagev1.ImagePolicyChoice{SemVer: &imagev1.SemVerPolicy{Range: "*"}, Numerical: &imagev1.NumericalPolicy{}}}, "spec.policy", "(2 set)"},
		{"bad range", imagev1.ImagePolicySpec{Policy: semverPolicy("not a range")}, "spec.policy.semver.range", "'not a range' is not a semver range"},
		{"bad order", imagev1.ImagePolicySpec{Policy: alphabeticalPolicy("up")}, "spec.policy.alphabetical.order", "'up' is not asc or desc"},
		{"bad numerical order", imagev1.ImagePolicySpec{Policy: numericalPolicy("down")}, "spec.policy.numerical.order", "'down' is not asc or desc"},
		{"bad pattern", imagev1.ImagePolicySpec{Policy: semverPolicy("*"), FilterTags: &imagev1.TagFilter{Pattern: "(unclosed"}}, "spec.filterTags.pattern", "missing closing )"},
		{"extract without pattern", imagev1.ImagePolicySpec{Policy: semverPolicy("*"), FilterTags: &imagev1.TagFilter{Extract: "$v"}}, "spec.filterTags.extract", "needs spec.filterTags.pattern"},
		{"unknown group", imagev1.ImagePolicySpec{Policy: semverPolicy("*"), FilterTags: &imagev1.TagFilter{Pattern: `^(?P<v>.*)$`, Extract: "$version"}}, "spec.filterTags.extract", "names group 'version'"},
		{"group number too high", imagev1.ImagePolicySpec{Policy: semverPolicy("*"), FilterTags: &imagev1.TagFilter{Pattern: `^(.*)$`, Extract: "$2"}}, "spec.filterTags.extract", "names group '2'"},
		{"dangling dollar", imagev1.ImagePolicySpec{Policy: semverPolicy("*"), FilterTags: &imagev1.TagFilter{Pattern: `^(.*)$`, Extract: "$-"}}, "spec.filterTags.extract", "names no group"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := New(tc.spec)
			fe, ok := err.(*FieldError)
			if !ok {
				t.Fatalf("New = %v, want a *FieldError", err)
			}
			if fe.Field != tc.field || !contains(err.Error(), tc.substr) || !contains(err.Error(), tc.field) {
				t.Fatalf("New = %q (field %s), want field %s and %q", err, fe.Field, tc.field, tc.substr)
			}
		})
	}
}

func TestString(t *testing.T) {
	s, err := New(imagev1.ImagePolicySpec{Policy: semverPolicy("1.x"), FilterTags: &imagev1.TagFilter{Pattern: "^v"}})
	if err != nil {
		t.Fatal(err)
	}
	if got := s.String(); got != "semver range '1.x' over tags matching '^v'" {
		t.Fatalf("String() = %q", got)
	}
}

func contains(s, sub string) bool {
	for i := 0; i+len(sub) <= len(s); i++ {
		if s[i:i+len(sub)] == sub {
			return true
		}
	}
	return false
}
