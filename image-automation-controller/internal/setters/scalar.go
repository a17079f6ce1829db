package setters

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"
	"unicode/utf8"

	"go.yaml.in/yaml/v3"
)

// span is the byte range [start, end) of one scalar's text in a file, quotes included.
type span struct {
	start, end int
}

// lines indexes the start of every line of a file.
type lines []int

// newLines returns the byte offset at which each line of data starts.
func newLines(data []byte) lines {
	starts := lines{0}
	for i, b := range data {
		if b == '\n' {
			starts = append(starts, i+1)
		}
	}
	return starts
}

// offset returns the byte offset of the 1-based line and column (counted in characters, as
// the YAML parser counts them) in data, or -1.
func (ls lines) offset(data []byte, line, column int) int {
	if line < 1 || line > len(ls) || column < 1 {
		return -1
	}
	off := ls[line-1]
	for c := 1; c < column; c++ {
		if off >= len(data) || data[off] == '\n' {
			return -1
		}
		_, size := utf8.DecodeRune(data[off:])
		off += size
	}
	return off
}

// errLayout says that a marked value is written in a way the setters do not rewrite.
var errLayout = errors.New("the marked value must be a plain or quoted scalar on the line of the marker")

// locate finds the text of the scalar node n, which starts at byte off of data. Only
// single-line plain, single-quoted and double-quoted scalars are located; others fail.
func locate(data []byte, off int, n *yaml.Node) (span, error) {
	if off < 0 || n.Kind != yaml.ScalarNode || n.Tag == "!!null" {
		return span{}, errLayout
	}
	rest := data[off:]
	if i := bytes.IndexByte(rest, '\n'); i >= 0 {
		rest = rest[:i]
	}
	var raw string
	switch n.Style {
	case 0:
		raw = n.Value
	case yaml.SingleQuotedStyle:
		raw = "'" + strings.ReplaceAll(n.Value, "'", "''") + "'"
	case yaml.DoubleQuotedStyle:
		end := closingQuote(rest)
		if end < 0 {
			return span{}, errLayout
		}
		raw = string(rest[:end+1])
		var decoded string
		if yaml.Unmarshal([]byte(raw), &decoded) != nil || decoded != n.Value {
			return span{}, errLayout
		}
	default:
		return span{}, errLayout
	}
	if raw == "" || strings.ContainsAny(n.Value, "\n\r") || !bytes.HasPrefix(rest, []byte(raw)) {
		return span{}, errLayout
	}
	return span{start: off, end: off + len(raw)}, nil
}

// closingQuote returns the index of the quote closing the double-quoted scalar that text
// starts with, or -1.
func closingQuote(text []byte) int {
	if len(text) == 0 || text[0] != '"' {
		return -1
	}
	for i := 1; i < len(text); i++ {
		switch text[i] {
		case '\\':
			i++
		case '"':
			return i
		}
	}
	return -1
}

// render writes value as a scalar in the style of n: plain stays plain when value reads back
// as the same string there (otherwise it is double-quoted), quoted stays quoted the same way
// (single quotes turn double when value holds characters they cannot carry). It fails when
// YAML would not read the result back as value.
func render(n *yaml.Node, value string, inFlow bool) (string, error) {
	text := doubleQuoted(value)
	switch {
	case n.Style == yaml.SingleQuotedStyle && printable(value):
		text = "'" + strings.ReplaceAll(value, "'", "''") + "'"
	case n.Style == 0 && plainSafe(value, inFlow):
		text = value
	}
	var back map[string]string
	if yaml.Unmarshal([]byte("v: "+text), &back) != nil || back["v"] != value {
		return "", errors.New("the new value cannot be written as a YAML string")
	}
	return text, nil
}

// printable reports whether every character of value may appear unescaped in YAML.
func printable(value string) bool {
	for _, r := range value {
		ok := r == '\t' || (r >= 0x20 && r <= 0x7e) || r == 0x85 || (r >= 0xa0 && r <= 0xd7ff) ||
			(r >= 0xe000 && r <= 0xfffd && r != 0xfeff) || r >= 0x10000
		if !ok {
			return false
		}
	}
	return true
}

// doubleQuoted renders value as a double-quoted scalar: a JSON string, which YAML reads as
// the same string.
func doubleQuoted(value string) string {
	var b strings.Builder
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(value) // a string always encodes
	return strings.TrimSuffix(b.String(), "\n")
}

// plainSafe reports whether value, written plain, reads back as the same string: no
// indicator at its start, nothing that ends a plain scalar early, no other type (a number,
// a boolean, null).
func plainSafe(value string, inFlow bool) bool {
	if value == "" || value != strings.TrimSpace(value) || !printable(value) || strings.ContainsAny(value, "\t") {
		return false
	}
	if strings.ContainsAny(value[:1], "-?:,[]{}#&*!|>'\"%@`") && !(value[0] == '-' && len(value) > 1 && value[1] != ' ') {
		return false
	}
	if strings.Contains(value, ": ") || strings.Contains(value, " #") || strings.HasSuffix(value, ":") {
		return false
	}
	if inFlow && strings.ContainsAny(value, ",[]{}") {
		return false
	}
	var back map[string]any
	if yaml.Unmarshal([]byte("v: "+value), &back) != nil {
		return false
	}
	s, ok := back["v"].(string)
	return ok && s == value
}
