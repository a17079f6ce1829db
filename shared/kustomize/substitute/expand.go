package substitute

import (
	"fmt"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Expand replaces the ${...} expressions of s with values from vars (see the package
// documentation for the forms). Expressions it does not recognise are left as they are.
func Expand(s string, vars map[string]string, strict bool) (string, error) {
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); {
		switch {
		case s[i] != '$':
			next := strings.IndexByte(s[i:], '$')
			if next < 0 {
				b.WriteString(s[i:])
				return b.String(), nil
			}
			b.WriteString(s[i : i+next])
			i += next
		case strings.HasPrefix(s[i:], "$${"):
			b.WriteString("${")
			i += 3
		case strings.HasPrefix(s[i:], "${"):
			end := closingBrace(s, i+2)
			if end < 0 {
				b.WriteString(s[i:])
				return b.String(), nil
			}
			val, ok, err := evaluate(s[i+2:end], vars, strict)
			if err != nil {
				return "", err
			}
			if ok {
				b.WriteString(val)
			} else {
				b.WriteString(s[i : end+1])
			}
			i = end + 1
		default:
			b.WriteByte('$')
			i++
		}
	}
	return b.String(), nil
}

// closingBrace returns the index of the brace closing an expression whose body starts at
// start, counting nested ${...}, or -1.
func closingBrace(s string, start int) int {
	depth := 1
	for j := start; j < len(s); j++ {
		switch {
		case s[j] == '$' && j+1 < len(s) && s[j+1] == '{':
			depth++
			j++
		case s[j] == '}':
			depth--
			if depth == 0 {
				return j
			}
		}
	}
	return -1
}

// nameLen returns the length of the variable name at the start of s.
func nameLen(s string) int {
	for i := 0; i < len(s); i++ {
		c := s[i]
		letter := c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
		if !letter && (i == 0 || c < '0' || c > '9') {
			return i
		}
	}
	return len(s)
}

// evaluate computes the value of the body of one ${...} expression. ok is false when the
// body is not a recognised expression, which is then left in the text.
func evaluate(body string, vars map[string]string, strict bool) (string, bool, error) {
	if strings.HasPrefix(body, "#") && len(body) > 1 && nameLen(body[1:]) == len(body)-1 {
		v, err := lookup(body[1:], vars, strict)
		return strconv.Itoa(utf8.RuneCountInString(v)), err == nil, err
	}
	n := nameLen(body)
	if n == 0 {
		return "", false, nil
	}
	name, op := body[:n], body[n:]
	value, set := vars[name]
	switch {
	case op == "":
		v, err := lookup(name, vars, strict)
		return v, err == nil, err
	case strings.HasPrefix(op, ":=") || strings.HasPrefix(op, ":-"):
		if set && value != "" {
			return value, true, nil
		}
		v, err := Expand(op[2:], vars, strict)
		return v, err == nil, err
	case strings.HasPrefix(op, "=") || strings.HasPrefix(op, "-"):
		if set {
			return value, true, nil
		}
		v, err := Expand(op[1:], vars, strict)
		return v, err == nil, err
	}
	if !set && strict {
		return "", false, notSet(name)
	}
	return transform(value, op, vars, strict)
}

// lookup returns the value of a variable; an unset one is empty, or an error when strict.
func lookup(name string, vars map[string]string, strict bool) (string, error) {
	v, ok := vars[name]
	if !ok && strict {
		return "", notSet(name)
	}
	return v, nil
}

// notSet is the error of strict mode for a missing variable.
func notSet(name string) error {
	return fmt.Errorf("variable %q is not set and has no default (strict substitution)", name)
}

// transform applies a case, pattern, replacement or substring operator to value.
func transform(value, op string, vars map[string]string, strict bool) (string, bool, error) {
	switch op {
	case "^^":
		return strings.ToUpper(value), true, nil
	case ",,":
		return strings.ToLower(value), true, nil
	case "^":
		return mapFirst(value, unicode.ToUpper), true, nil
	case ",":
		return mapFirst(value, unicode.ToLower), true, nil
	}
	for _, p := range []string{"##", "#", "%%", "%"} {
		if strings.HasPrefix(op, p) {
			pattern, err := Expand(op[len(p):], vars, strict)
			if err != nil {
				return "", false, err
			}
			return trimPattern(value, pattern, p), true, nil
		}
	}
	if strings.HasPrefix(op, "/") {
		return replace(value, op[1:], vars, strict)
	}
	if strings.HasPrefix(op, ":") {
		v, ok := substring(value, op[1:])
		return v, ok, nil
	}
	return "", false, nil
}

// mapFirst maps the first rune of s.
func mapFirst(s string, f func(rune) rune) string {
	r, size := utf8.DecodeRuneInString(s)
	if size == 0 {
		return s
	}
	return string(f(r)) + s[size:]
}

// trimPattern removes the shortest (#, %) or longest (##, %%) prefix (#) or suffix (%) of
// value matching pattern.
func trimPattern(value, pattern, op string) string {
	switch op {
	case "#":
		for i := 0; i <= len(value); i++ {
			if glob(pattern, value[:i]) {
				return value[i:]
			}
		}
	case "##":
		for i := len(value); i >= 0; i-- {
			if glob(pattern, value[:i]) {
				return value[i:]
			}
		}
	case "%":
		for i := len(value); i >= 0; i-- {
			if glob(pattern, value[i:]) {
				return value[:i]
			}
		}
	case "%%":
		for i := 0; i <= len(value); i++ {
			if glob(pattern, value[i:]) {
				return value[:i]
			}
		}
	}
	return value
}

// replace implements ${var/old/new} (first), ${var//old/new} (all), ${var/#old/new}
// (prefix) and ${var/%old/new} (suffix); spec is the text after the first slash.
func replace(value, spec string, vars map[string]string, strict bool) (string, bool, error) {
	mode := byte(0)
	if len(spec) > 0 && (spec[0] == '/' || spec[0] == '#' || spec[0] == '%') {
		mode, spec = spec[0], spec[1:]
	}
	old, repl, _ := strings.Cut(spec, "/")
	old, err := Expand(old, vars, strict)
	if err != nil {
		return "", false, err
	}
	repl, err = Expand(repl, vars, strict)
	if err != nil {
		return "", false, err
	}
	if old == "" {
		return value, true, nil
	}
	switch mode {
	case '/':
		return strings.ReplaceAll(value, old, repl), true, nil
	case '#':
		if strings.HasPrefix(value, old) {
			return repl + value[len(old):], true, nil
		}
		return value, true, nil
	case '%':
		if strings.HasSuffix(value, old) {
			return value[:len(value)-len(old)] + repl, true, nil
		}
		return value, true, nil
	}
	return strings.Replace(value, old, repl, 1), true, nil
}

// substring implements ${var:offset} and ${var:offset:length}, counted in runes; a negative
// offset counts from the end, a negative length stops that many runes before the end.
func substring(value, spec string) (string, bool) {
	offText, lenText, hasLen := strings.Cut(spec, ":")
	off, err := strconv.Atoi(strings.TrimSpace(offText))
	if err != nil {
		return "", false
	}
	runes := []rune(value)
	if off < 0 {
		off = max(len(runes)+off, 0)
	}
	off = min(off, len(runes))
	end := len(runes)
	if hasLen {
		n, err := strconv.Atoi(strings.TrimSpace(lenText))
		if err != nil {
			return "", false
		}
		if n < 0 {
			end = max(len(runes)+n, off)
		} else {
			end = min(off+n, len(runes))
		}
	}
	return string(runes[off:end]), true
}

// glob reports whether s matches pattern, where * matches any text and ? any one byte.
func glob(pattern, s string) bool {
	p, i := 0, 0
	star, mark := -1, 0
	for i < len(s) {
		switch {
		case p < len(pattern) && (pattern[p] == '?' || pattern[p] == s[i]):
			p++
			i++
		case p < len(pattern) && pattern[p] == '*':
			star, mark = p, i
			p++
		case star >= 0:
			p = star + 1
			mark++
			i = mark
		default:
			return false
		}
	}
	for p < len(pattern) && pattern[p] == '*' {
		p++
	}
	return p == len(pattern)
}
