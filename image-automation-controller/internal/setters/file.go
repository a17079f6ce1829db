package setters

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
	"unicode/utf8"

	"go.yaml.in/yaml/v3"
)

// Resolve returns the value a marker asks for. ignore is true when the marker is not the
// automation's to set (another namespace, or a policy its selector leaves out); an error
// says why a marker of its own cannot be set, and the marker is skipped.
type Resolve func(m Marker) (value string, ignore bool, err error)

// ObjectID identifies the Kubernetes object (the YAML document) a change was made in; a
// document that is not an object, such as a kustomization.yaml, leaves some fields empty.
type ObjectID struct {
	APIVersion, Kind, Name, Namespace string
}

// Change is one field that was rewritten.
type Change struct {
	// File is the file's slash path relative to the repository root.
	File string
	// Line is the 1-based line of the field.
	Line int
	// Object is the document the field is in.
	Object ObjectID
	// Marker is the field's marker.
	Marker Marker
	// OldValue and NewValue are the field's value before and after.
	OldValue, NewValue string
}

// Skip is a marker that was not applied, and why.
type Skip struct {
	// File and Line locate the marker; Line is 0 for a file that does not parse.
	File string
	Line int
	// Setter is the marker's value as written, or empty when it could not be read.
	Setter string
	// Reason says why the marker was skipped.
	Reason string
}

// String renders the skip as "<file>:<line>: <setter>: <reason>" (without the line for a
// whole file, without the setter when it could not be read).
func (s Skip) String() string {
	if s.Line == 0 {
		return fmt.Sprintf("%s: %s", s.File, s.Reason)
	}
	if s.Setter == "" {
		return fmt.Sprintf("%s:%d: %s", s.File, s.Line, s.Reason)
	}
	return fmt.Sprintf("%s:%d: %s: %s", s.File, s.Line, s.Setter, s.Reason)
}

// edit replaces the bytes of sp with text.
type edit struct {
	sp   span
	text string
}

// fileUpdate is what applying the markers of one file found.
type fileUpdate struct {
	name    string
	data    []byte
	index   lines
	edits   []edit
	changes []Change
	skips   []Skip
}

// ApplyFile applies the markers of one YAML file (name is its slash path, for the report) and
// returns its new content, which is data itself when nothing changed. A file that does not
// parse as YAML fails and is left alone.
func ApplyFile(name string, data []byte, resolve Resolve) ([]byte, []Change, []Skip, error) {
	if !bytes.Contains(data, []byte(markerToken)) {
		return data, nil, nil, nil
	}
	u := &fileUpdate{name: name, data: data, index: newLines(data)}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	for {
		var doc yaml.Node
		err := dec.Decode(&doc)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return data, nil, nil, fmt.Errorf("failed to parse %s: %w", name, err)
		}
		u.walk(&doc, objectOf(&doc), false, resolve)
	}
	return u.result(), u.changes, u.skips, nil
}

// walk visits every node below n, applying the markers of scalar values. A marker on a
// mapping key (a field whose value is empty or starts on a later line) is reported.
func (u *fileUpdate) walk(n *yaml.Node, obj ObjectID, inFlow bool, resolve Resolve) {
	if n.Kind == yaml.ScalarNode && n.LineComment != "" {
		u.scalar(n, obj, inFlow, resolve)
	}
	flow := inFlow || n.Style&yaml.FlowStyle != 0
	for i, c := range n.Content {
		if n.Kind == yaml.MappingNode && i%2 == 0 {
			u.key(c)
			continue
		}
		u.walk(c, obj, flow, resolve)
	}
}

// key reports a marker on a mapping key: the field's value is not on the marker's line.
func (u *fileUpdate) key(n *yaml.Node) {
	if m, ok, err := ParseMarker(n.LineComment); ok && err == nil {
		u.skips = append(u.skips, Skip{File: u.name, Line: n.Line, Setter: m.String(), Reason: errLayout.Error()})
	}
}

// scalar applies the marker of one scalar node, if it has one.
func (u *fileUpdate) scalar(n *yaml.Node, obj ObjectID, inFlow bool, resolve Resolve) {
	m, ok, err := ParseMarker(n.LineComment)
	if !ok {
		return
	}
	skip := func(setter string, err error) {
		u.skips = append(u.skips, Skip{File: u.name, Line: n.Line, Setter: setter, Reason: err.Error()})
	}
	if err != nil {
		skip("", err)
		return
	}
	value, ignore, err := resolve(m)
	if ignore {
		return
	}
	if err == nil && !utf8.ValidString(value) {
		err = errors.New("the new value is not valid UTF-8")
	}
	if err != nil {
		skip(m.String(), err)
		return
	}
	sp, err := locate(u.data, u.index.offset(u.data, n.Line, n.Column), n)
	if err != nil {
		skip(m.String(), err)
		return
	}
	if n.Value == value {
		return
	}
	text, err := render(n, value, inFlow)
	if err != nil {
		skip(m.String(), err)
		return
	}
	u.edits = append(u.edits, edit{sp: sp, text: text})
	u.changes = append(u.changes, Change{File: u.name, Line: n.Line, Object: obj, Marker: m, OldValue: n.Value, NewValue: value})
}

// result returns the file with every edit applied, or the same bytes without edits.
func (u *fileUpdate) result() []byte {
	if len(u.edits) == 0 {
		return u.data
	}
	sort.Slice(u.edits, func(i, j int) bool { return u.edits[i].sp.start < u.edits[j].sp.start })
	var b bytes.Buffer
	b.Grow(len(u.data))
	at := 0
	for _, e := range u.edits {
		b.Write(u.data[at:e.sp.start])
		b.WriteString(e.text)
		at = e.sp.end
	}
	b.Write(u.data[at:])
	return b.Bytes()
}

// objectOf reads apiVersion, kind, metadata.name and metadata.namespace of a document.
func objectOf(doc *yaml.Node) ObjectID {
	var id ObjectID
	root := doc
	if root.Kind == yaml.DocumentNode && len(root.Content) == 1 {
		root = root.Content[0]
	}
	id.APIVersion = stringField(root, "apiVersion")
	id.Kind = stringField(root, "kind")
	if meta := field(root, "metadata"); meta != nil {
		id.Name = stringField(meta, "name")
		id.Namespace = stringField(meta, "namespace")
	}
	return id
}

// field returns the value of key in mapping n, or nil.
func field(n *yaml.Node, key string) *yaml.Node {
	if n == nil || n.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			return n.Content[i+1]
		}
	}
	return nil
}

// stringField returns the scalar value of key in mapping n, or "".
func stringField(n *yaml.Node, key string) string {
	if v := field(n, key); v != nil && v.Kind == yaml.ScalarNode {
		return strings.TrimSpace(v.Value)
	}
	return ""
}
