package policy

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/Masterminds/semver/v3"
)

// semverOrder ranks semantic versions within a range.
type semverOrder struct {
	rng string
	c   *semver.Constraints
}

// parse reads value as a version (a leading v, and missing minor or patch, allowed) and
// keeps it when the range holds it; Masterminds' ranges hold a pre-release only when they
// name one themselves.
func (o semverOrder) parse(value string) (any, bool) {
	v, err := semver.StrictNewVersion(strings.TrimPrefix(value, "v"))
	if err != nil {
		if v, err = semver.NewVersion(value); err != nil {
			return nil, false
		}
	}
	if !o.c.Check(v) {
		return nil, false
	}
	return v, true
}

func (o semverOrder) better(a, b any) bool {
	return a.(*semver.Version).GreaterThan(b.(*semver.Version))
}

func (o semverOrder) String() string { return fmt.Sprintf("semver range '%s'", o.rng) }

// alphabetical ranks values lexicographically: asc elects the last, desc the first.
type alphabetical struct{ desc bool }

func (o alphabetical) parse(value string) (any, bool) { return value, true }

func (o alphabetical) better(a, b any) bool {
	if o.desc {
		return a.(string) < b.(string)
	}
	return a.(string) > b.(string)
}

func (o alphabetical) String() string {
	if o.desc {
		return "alphabetical order desc"
	}
	return "alphabetical order asc"
}

// numerical ranks values as numbers: asc elects the largest, desc the smallest; a value
// that is not a finite number is skipped.
type numerical struct{ desc bool }

func (o numerical) parse(value string) (any, bool) {
	f, err := strconv.ParseFloat(value, 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
		return nil, false
	}
	return f, true
}

func (o numerical) better(a, b any) bool {
	if o.desc {
		return a.(float64) < b.(float64)
	}
	return a.(float64) > b.(float64)
}

func (o numerical) String() string {
	if o.desc {
		return "numerical order desc"
	}
	return "numerical order asc"
}
