// Package policy elects the latest tag of an image repository as an ImagePolicy asks: tags
// are first narrowed by spec.filterTags.pattern (a Go regular expression) and reduced to the
// value spec.filterTags.extract makes of the pattern's groups, then ordered by semver
// (Masterminds ranges, a leading v allowed, pre-releases only when the range names one),
// alphabetical or numerical order. Pure functions: no registry, no Kubernetes.
package policy

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/Masterminds/semver/v3"

	imagev1 "github.com/ferry-gitops/ferry/shared/api/image/v1"
)

// FieldError is a spec field that cannot be used, naming the field.
type FieldError struct {
	// Field is the field's path, e.g. spec.policy.semver.range.
	Field string
	// Err says what is wrong with it.
	Err error
}

// Error names the field and what is wrong.
func (e *FieldError) Error() string { return fmt.Sprintf("invalid %s: %v", e.Field, e.Err) }

// Unwrap returns what is wrong.
func (e *FieldError) Unwrap() error { return e.Err }

// Selector is an ImagePolicy's filter and order, compiled once.
type Selector struct {
	filter  *regexp.Regexp // nil: every tag
	extract string         // empty: the whole tag
	order   order
}

// order ranks the values of the tags a policy considers.
type order interface {
	// parse turns a value into a comparable key; ok is false for a value the order skips.
	parse(value string) (key any, ok bool)
	// better reports whether key a ranks above key b.
	better(a, b any) bool
	// String names the order for messages, e.g. "semver range '1.x'".
	String() string
}

// New compiles an ImagePolicy's spec. Errors are *FieldError naming the field.
func New(spec imagev1.ImagePolicySpec) (*Selector, error) {
	s := &Selector{}
	var err error
	if s.order, err = newOrder(spec.Policy); err != nil {
		return nil, err
	}
	if f := spec.FilterTags; f != nil {
		if f.Pattern != "" {
			if s.filter, err = regexp.Compile(f.Pattern); err != nil {
				return nil, &FieldError{Field: "spec.filterTags.pattern", Err: err}
			}
		}
		if f.Extract != "" {
			if s.filter == nil {
				return nil, &FieldError{Field: "spec.filterTags.extract", Err: fmt.Errorf("it needs spec.filterTags.pattern to take groups from")}
			}
			if err := checkTemplate(s.filter, f.Extract); err != nil {
				return nil, &FieldError{Field: "spec.filterTags.extract", Err: err}
			}
			s.extract = f.Extract
		}
	}
	return s, nil
}

// newOrder picks the one order the policy sets.
func newOrder(p imagev1.ImagePolicyChoice) (order, error) {
	set := 0
	for _, isSet := range []bool{p.SemVer != nil, p.Alphabetical != nil, p.Numerical != nil} {
		if isSet {
			set++
		}
	}
	if set != 1 {
		return nil, &FieldError{Field: "spec.policy", Err: fmt.Errorf("set exactly one of semver, alphabetical, numerical (%d set)", set)}
	}
	switch {
	case p.SemVer != nil:
		c, err := semver.NewConstraint(p.SemVer.Range)
		if err != nil {
			return nil, &FieldError{Field: "spec.policy.semver.range", Err: fmt.Errorf("'%s' is not a semver range: %w", p.SemVer.Range, err)}
		}
		return semverOrder{rng: p.SemVer.Range, c: c}, nil
	case p.Alphabetical != nil:
		o, err := direction("spec.policy.alphabetical.order", p.Alphabetical.Order)
		return alphabetical{desc: o}, err
	default:
		o, err := direction("spec.policy.numerical.order", p.Numerical.Order)
		return numerical{desc: o}, err
	}
}

// direction reads asc (the default) or desc.
func direction(field, order string) (bool, error) {
	switch order {
	case "", imagev1.OrderAsc:
		return false, nil
	case imagev1.OrderDesc:
		return true, nil
	}
	return false, &FieldError{Field: field, Err: fmt.Errorf("'%s' is not asc or desc", order)}
}

// Select returns the latest tag and how many tags the policy considered (those passing the
// filter); ok is false when none of them ranks (no tag matched, or none parsed as the order
// needs). Of tags with equal values the greatest tag wins, so the result never depends on
// the order of tags.
func (s *Selector) Select(tags []string) (latest string, considered int, ok bool) {
	var bestKey any
	for _, tag := range tags {
		value, pass := s.value(tag)
		if !pass {
			continue
		}
		considered++
		key, valid := s.order.parse(value)
		if !valid {
			continue
		}
		if !ok || s.order.better(key, bestKey) || (!s.order.better(bestKey, key) && tag > latest) {
			latest, bestKey, ok = tag, key, true
		}
	}
	return latest, considered, ok
}

// value applies the filter and the extract template to tag.
func (s *Selector) value(tag string) (string, bool) {
	if s.filter == nil {
		return tag, true
	}
	m := s.filter.FindStringSubmatchIndex(tag)
	if m == nil {
		return "", false
	}
	if s.extract == "" {
		return tag, true
	}
	return string(s.filter.ExpandString(nil, s.extract, tag, m)), true
}

// String describes the policy for messages: its order and its filter.
func (s *Selector) String() string {
	if s.filter == nil {
		return s.order.String()
	}
	return fmt.Sprintf("%s over tags matching '%s'", s.order, s.filter)
}

// checkTemplate fails when extract names a group the pattern does not have ($name,
// ${name} or $1), which would extract an empty value from every tag.
func checkTemplate(re *regexp.Regexp, extract string) error {
	names := map[string]bool{}
	for i, n := range re.SubexpNames() {
		names[strconv.Itoa(i)] = true
		if n != "" {
			names[n] = true
		}
	}
	for rest := extract; ; {
		i := strings.IndexByte(rest, '$')
		if i < 0 || i == len(rest)-1 {
			return nil
		}
		rest = rest[i+1:]
		if rest[0] == '$' { // $$ is a literal $
			rest = rest[1:]
			continue
		}
		name, after := groupName(rest)
		if name == "" {
			return fmt.Errorf("'%s' has a $ that names no group (write $$ for a literal $)", extract)
		}
		if !names[name] {
			return fmt.Errorf("'%s' names group '%s', which '%s' does not have", extract, name, re)
		}
		rest = after
	}
}

// groupName reads the group name after a $: {name} or the longest run of letters, digits
// and underscores, as regexp.Expand does.
func groupName(s string) (name, rest string) {
	if strings.HasPrefix(s, "{") {
		end := strings.IndexByte(s, '}')
		if end < 0 {
			return "", s
		}
		return s[1:end], s[end+1:]
	}
	i := 0
	for i < len(s) && (s[i] == '_' || s[i] >= '0' && s[i] <= '9' || s[i] >= 'a' && s[i] <= 'z' || s[i] >= 'A' && s[i] <= 'Z') {
		i++
	}
	return s[:i], s[i:]
}
