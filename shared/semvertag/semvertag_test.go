package semvertag

import (
	"regexp"
	"testing"

	"github.com/Masterminds/semver/v3"
)

func TestHighest(t *testing.T) {
	tags := []string{"latest", "1.0.0", "v1.2.0", "1.2.0", "1.10.0-rc.1", "2.0.0", "main-abc"}
	for _, tc := range []struct {
		rng, filter, want string
	}{
		{"*", "", "2.0.0"},
		{"1.x", "", "v1.2.0"},
		{">=1.10.0-0 <2", "", "1.10.0-rc.1"},
		{"*", "^v", "v1.2.0"},
		{">=3", "", ""},
	} {
		t.Run(tc.rng+" "+tc.filter, func(t *testing.T) {
			c, err := semver.NewConstraint(tc.rng)
			if err != nil {
				t.Fatal(err)
			}
			var re *regexp.Regexp
			if tc.filter != "" {
				re = regexp.MustCompile(tc.filter)
			}
			if got := Highest(tags, c, re); got != tc.want {
				t.Fatalf("Highest(%s, %s) = %q, want %q", tc.rng, tc.filter, got, tc.want)
			}
		})
	}
}
