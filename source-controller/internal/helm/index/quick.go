package index

import (
	"bytes"
	"strings"
)

// quickItem reads the version, digest and URLs of one chart version written in the plain
// block style Helm writes, without building a YAML tree. It reports false whenever the needed
// fields use anything beyond that style (flow collections, escapes, aliases, multi-line or
// special values, repeated keys), and the caller then decodes the item with the YAML decoder.
// It never reads a field differently from the YAML decoder, but it does not check the syntax
// of the fields it skips (descriptions, maintainers, annotations...).
func quickItem(item []byte) (rawVersion, bool) {
	var r rawVersion
	lines := bytes.Split(bytes.TrimRight(item, "\n"), []byte("\n"))
	first := lines[0]
	dash := len(first) - len(bytes.TrimLeft(first, " "))
	if dash+1 >= len(first) || first[dash] != '-' || first[dash+1] != ' ' {
		return r, false
	}
	rest := bytes.TrimLeft(first[dash+1:], " ")
	m := len(first) - len(rest) // indent of the mapping's keys
	if len(bytes.TrimRight(rest, " ")) == 0 {
		return r, false
	}
	if !plainKey(rest) {
		return r, false
	}
	lines[0] = append(bytes.Repeat([]byte(" "), m), rest...)
	seen := map[string]bool{}
	key, urlIndent := "", -1
	for _, line := range lines {
		t := bytes.TrimLeft(line, " ")
		if len(t) == 0 || t[0] == '#' {
			continue
		}
		indent := len(line) - len(t)
		isItem := t[0] == '-' && (len(t) == 1 || t[1] == ' ')
		switch {
		case indent < m || t[0] == '\t':
			return r, false
		case indent > m || isItem:
			if key == "version" || key == "digest" {
				return r, false // a value continued on the next lines
			}
			if key != "urls" {
				continue
			}
			if !isItem || (urlIndent >= 0 && indent != urlIndent) {
				return r, false
			}
			urlIndent = indent
			u, ok := scalar(bytes.TrimLeft(t[1:], " "))
			if !ok {
				return r, false
			}
			r.URLs = append(r.URLs, u)
			continue
		}
		if !plainKey(t) {
			return r, false
		}
		k, v, ok := splitKey(t)
		if !ok || seen[k] {
			return r, false
		}
		seen[k], key = true, k
		if !quickField(&r, k, v) {
			return r, false
		}
	}
	return r, r.Version != ""
}

// quickField sets one field the index needs from its value on the key's line.
func quickField(r *rawVersion, key string, v []byte) bool {
	var ok bool
	switch key {
	case "version":
		r.Version, ok = scalar(v)
	case "digest":
		r.Digest, ok = scalar(v)
	case "urls":
		ok = len(v) == 0 || string(v) == "[]"
	default:
		ok = len(v) == 0 || (v[0] != '"' && v[0] != '\'' && v[0] != '*') // quoted values are read in full
		if !ok {
			_, ok = scalar(v)
		}
	}
	return ok
}

// scalar returns a plain, single-quoted or double-quoted scalar that needs no unescaping and
// resolves to a string.
func scalar(v []byte) (string, bool) {
	// Spaces, tabs and a CR (of a CRLF line end) after a value are not part of it in YAML.
	v = bytes.TrimRight(v, " \t\r")
	if len(v) == 0 {
		return "", false
	}
	switch q := v[0]; q {
	case '"', '\'':
		if len(v) < 2 || v[len(v)-1] != q {
			return "", false
		}
		inner := v[1 : len(v)-1]
		if bytes.IndexByte(inner, q) >= 0 || bytes.IndexByte(inner, '\\') >= 0 {
			return "", false
		}
		return string(inner), true
	}
	s := string(v)
	if strings.ContainsAny(s[:1], "-?:,[]{}#&*!|>%@`") || strings.Contains(s, ": ") || strings.Contains(s, " #") ||
		strings.HasSuffix(s, ":") {
		return "", false
	}
	switch strings.ToLower(s) {
	case "null", "~", "true", "false", "yes", "no", "on", "off":
		return "", false
	}
	return s, true
}

// plainKey reports whether t starts with a mapping key of letters, digits, '_' and '-' (as
// every field of an index has) followed by ':' and a space or the end of the line.
func plainKey(t []byte) bool {
	for i, c := range t {
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z':
		case i > 0 && (c >= '0' && c <= '9' || c == '_' || c == '-'):
		case i > 0 && c == ':':
			return i+1 == len(t) || t[i+1] == ' '
		default:
			return false
		}
	}
	return false
}
