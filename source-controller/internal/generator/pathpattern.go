package generator

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"regexp"
	"strings"
)

// PathPattern is a parsed spec.pathPattern ("@<alias>/<pattern>"): for each directory level
// below the root of the aliased source, a literal directory name or a name holding captures
// ("{app}", "app-{app}"), each capture matching one or more characters of one directory name.
type PathPattern struct {
	// Alias is the source whose directories the pattern discovers.
	Alias string
	// raw is spec.pathPattern as written, for messages.
	raw string
	// levels match the directory names, one level each.
	levels []level
	// captures are the capture names, in the pattern's order.
	captures []string
}

// level matches the directory names of one level of a PathPattern.
type level struct {
	// literal is the directory name of a level without captures.
	literal string
	// re matches the directory names of a level with captures; names are its groups.
	re    *regexp.Regexp
	names []string
}

// Match is a directory a PathPattern matches.
type Match struct {
	// Dir is the directory's slash-separated path below the source's root.
	Dir string
	// Captures are the parts of its path the captures matched, by capture name, as they are.
	Captures map[string]string
}

// captureName is the syntax of a capture's name: it is also the key of an ExternalArtifact
// label, so it starts and ends with a letter or digit.
var captureName = regexp.MustCompile(`^[A-Za-z]([A-Za-z0-9_]*[A-Za-z0-9])?$`)

// maxCaptureName is the longest capture name (a label key without prefix).
const maxCaptureName = 63

// ParsePathPattern parses spec.pathPattern. Each '/'-separated level is a literal directory
// name, or one holding captures "{name}" (a name of letters, digits and '_', starting with a
// letter and ending with a letter or digit), each matching one or more characters of the
// directory name, captures not adjacent. Glob characters, '.' and '..' levels, and a pattern
// naming no directory below the root are refused. Its errors match ErrInvalid.
func ParsePathPattern(s string) (*PathPattern, error) {
	rest, ok := strings.CutPrefix(s, "@")
	alias, pattern, found := strings.Cut(rest, "/")
	if !ok || !found || alias == "" {
		return nil, invalidf("spec.pathPattern: '%s' is not of the form '@<alias>/<pattern>'", s)
	}
	pattern = strings.Trim(pattern, "/")
	if pattern == "" {
		return nil, invalidf("spec.pathPattern: '%s' names no directory below the root of source '%s'", s, alias)
	}
	p := &PathPattern{Alias: alias, raw: s}
	seen := map[string]bool{}
	for _, seg := range strings.Split(pattern, "/") {
		lv, err := parseLevel(seg)
		if err != nil {
			return nil, invalidf("spec.pathPattern: '%s': %v", s, err)
		}
		for _, name := range lv.names {
			if seen[name] {
				return nil, invalidf("spec.pathPattern: '%s': the capture '{%s}' is used twice", s, name)
			}
			seen[name] = true
			p.captures = append(p.captures, name)
		}
		p.levels = append(p.levels, lv)
	}
	return p, nil
}

// parseLevel parses one level of a path pattern.
func parseLevel(seg string) (level, error) {
	switch {
	case seg == "":
		return level{}, errors.New("an empty directory name ('//')")
	case seg == "." || seg == "..":
		return level{}, fmt.Errorf("'%s' is not a directory name: the pattern names directories below the root", seg)
	case strings.ContainsAny(seg, `*?[]\`):
		return level{}, fmt.Errorf("'%s' holds a glob character: a level is a directory name or captures one, as '{name}'", seg)
	}
	var expr strings.Builder
	var names []string
	lastCapture := -1 // the offset where the last capture ended
	for i := 0; i < len(seg); {
		switch seg[i] {
		case '}':
			return level{}, fmt.Errorf("'%s' has a '}' without its '{'", seg)
		case '{':
			end := strings.IndexByte(seg[i:], '}')
			if end < 0 {
				return level{}, fmt.Errorf("'%s' has a '{' without its '}'", seg)
			}
			name := seg[i+1 : i+end]
			if err := checkCaptureName(name); err != nil {
				return level{}, err
			}
			if lastCapture == i {
				return level{}, fmt.Errorf("'%s' has two captures with nothing between them", seg)
			}
			names = append(names, name)
			expr.WriteString("(.+)")
			i += end + 1
			lastCapture = i
		default:
			j := strings.IndexAny(seg[i:], "{}")
			if j < 0 {
				j = len(seg) - i
			}
			expr.WriteString(regexp.QuoteMeta(seg[i : i+j]))
			i += j
		}
	}
	if len(names) == 0 {
		return level{literal: seg}, nil
	}
	re, err := regexp.Compile("^" + expr.String() + "$")
	if err != nil {
		return level{}, fmt.Errorf("'%s' does not compile: %w", seg, err)
	}
	return level{re: re, names: names}, nil
}

// checkCaptureName refuses a capture name that cannot be a label key.
func checkCaptureName(name string) error {
	if name == "" {
		return errors.New("the capture '{}' has no name")
	}
	if len(name) > maxCaptureName || !captureName.MatchString(name) {
		return fmt.Errorf("the capture '{%s}' is not a valid name: at most %d letters, digits and '_', starting with a letter and ending with a letter or digit", name, maxCaptureName)
	}
	return nil
}

// Captures returns the capture names of the pattern, in its order.
func (p *PathPattern) Captures() []string { return append([]string(nil), p.captures...) }

// String returns the pattern as written in spec.pathPattern.
func (p *PathPattern) String() string { return p.raw }

// Match returns the directories of root (the directory the source's artifact was extracted
// into) the pattern matches, sorted by path. Files never match, nor do symbolic links. Its
// errors are failures to read root.
func (p *PathPattern) Match(ctx context.Context, root string) ([]Match, error) {
	r, err := os.OpenRoot(root)
	if err != nil {
		return nil, fmt.Errorf("failed to open source '%s': %w", p.Alias, err)
	}
	defer r.Close()
	current := []Match{{Captures: map[string]string{}}}
	for _, lv := range p.levels {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		var next []Match
		for _, m := range current {
			found, err := lv.match(r, m)
			if err != nil {
				return nil, fmt.Errorf("failed to read directory '%s' of source '%s': %w", fsName(m.Dir), p.Alias, err)
			}
			next = append(next, found...)
		}
		current = next
	}
	return current, nil
}

// match returns the directories below m's that the level matches, sorted by name.
func (lv level) match(r *os.Root, m Match) ([]Match, error) {
	if lv.re == nil {
		dir := joinDir(m.Dir, lv.literal)
		info, err := r.Lstat(dir)
		if errors.Is(err, fs.ErrNotExist) || (err == nil && !info.IsDir()) {
			return nil, nil
		}
		if err != nil {
			return nil, err
		}
		return []Match{{Dir: dir, Captures: m.Captures}}, nil
	}
	entries, err := fs.ReadDir(r.FS(), fsName(m.Dir))
	if err != nil {
		return nil, err
	}
	var out []Match
	for _, e := range entries {
		if !e.IsDir() {
			continue
		}
		groups := lv.re.FindStringSubmatch(e.Name())
		if groups == nil {
			continue
		}
		captures := maps.Clone(m.Captures)
		for i, name := range lv.names {
			captures[name] = groups[i+1]
		}
		out = append(out, Match{Dir: joinDir(m.Dir, e.Name()), Captures: captures})
	}
	return out, nil
}

// joinDir joins a directory below the root ("" for the root) and a name in it.
func joinDir(dir, name string) string {
	if dir == "" {
		return name
	}
	return dir + "/" + name
}

// fsName is a directory below the root as io/fs names it ("." for the root).
func fsName(dir string) string {
	if dir == "" {
		return "."
	}
	return dir
}

// placeholder is a capture placeholder in an artifact's field: "{name}". Braces around
// anything else (a glob's alternation "{a,b}") are no placeholder.
var placeholder = regexp.MustCompile(`\{([A-Za-z_][A-Za-z0-9_]*)\}`)

// Placeholders returns the capture names s holds as placeholders, in order.
func Placeholders(s string) []string {
	var names []string
	for _, m := range placeholder.FindAllStringSubmatch(s, -1) {
		names = append(names, m[1])
	}
	return names
}

// Render replaces each placeholder of s whose name values holds with its value; other
// placeholders are left as they are.
func Render(s string, values map[string]string) string {
	return placeholder.ReplaceAllStringFunc(s, func(m string) string {
		if v, ok := values[m[1:len(m)-1]]; ok {
			return v
		}
		return m
	})
}
