// Package setters rewrites the YAML fields marked for an ImageUpdateAutomation — a line
// comment `# {"$imagepolicy": "<namespace>:<name>"}`, optionally followed by `:tag`, `:name`
// or `:digest` — with the image an ImagePolicy elected. Only the bytes of each changed scalar
// change: comments, key order, indentation, quoting style and every other byte of the file
// stay as they were, and a file with nothing to change is not written.
package setters

import (
	"encoding/json"
	"fmt"
	"strings"

	imagev1 "github.com/ferry-gitops/ferry/shared/api/image/v1"
)

// Field is the part of the elected image a marker asks for.
type Field string

// The parts of an image a marker may ask for.
const (
	// FieldImage is the whole image: `name:tag`, or `name:tag@digest` when the digest is known.
	FieldImage Field = ""
	// FieldTag is the tag alone.
	FieldTag Field = "tag"
	// FieldName is the image name (the repository) alone.
	FieldName Field = "name"
	// FieldDigest is the digest alone.
	FieldDigest Field = "digest"
)

// markerToken is how a marker's key appears in a comment; files without it are not parsed.
const markerToken = `"` + imagev1.SetterMarker + `"`

// Marker is a parsed setter marker.
type Marker struct {
	// Namespace and Name name the ImagePolicy.
	Namespace, Name string
	// Field is the part of the image the field holds.
	Field Field
}

// String renders the marker's value as written: "<namespace>:<name>[:<field>]", the setter
// name of the template data.
func (m Marker) String() string {
	s := m.Namespace + ":" + m.Name
	if m.Field != FieldImage {
		s += ":" + string(m.Field)
	}
	return s
}

// ParseMarker reads a YAML line comment. It returns ok=false when the comment is not a
// setter marker (no JSON object with the "$imagepolicy" key), and an error when it is one
// whose value cannot be used.
func ParseMarker(comment string) (m Marker, ok bool, err error) {
	text := strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(comment), "#"))
	if !strings.HasPrefix(text, "{") || !strings.Contains(text, markerToken) {
		return Marker{}, false, nil
	}
	var obj map[string]any
	if json.Unmarshal([]byte(text), &obj) != nil {
		return Marker{}, false, nil
	}
	raw, found := obj[imagev1.SetterMarker]
	if !found {
		return Marker{}, false, nil
	}
	value, isString := raw.(string)
	if !isString {
		return Marker{}, true, fmt.Errorf("the value of %q must be a string \"<namespace>:<name>[:tag|:name|:digest]\"", imagev1.SetterMarker)
	}
	m, err = parseValue(value)
	return m, true, err
}

// parseValue parses "<namespace>:<name>[:<field>]".
func parseValue(value string) (Marker, error) {
	parts := strings.Split(value, ":")
	if len(parts) < 2 || len(parts) > 3 || parts[0] == "" || parts[1] == "" {
		return Marker{}, fmt.Errorf("marker %q must be \"<namespace>:<name>\", optionally followed by :tag, :name or :digest", value)
	}
	m := Marker{Namespace: parts[0], Name: parts[1]}
	if len(parts) == 3 {
		switch f := Field(parts[2]); f {
		case FieldTag, FieldName, FieldDigest:
			m.Field = f
		default:
			return Marker{}, fmt.Errorf("marker %q asks for '%s': use :tag, :name or :digest", value, parts[2])
		}
	}
	return m, nil
}

// Value returns the part of ref that field f asks for; it fails when that part is unknown
// (a digest the policy did not reflect).
func Value(ref imagev1.ImageRef, f Field) (string, error) {
	switch f {
	case FieldTag:
		return ref.Tag, nil
	case FieldName:
		return ref.Name, nil
	case FieldDigest:
		if ref.Digest == "" {
			return "", fmt.Errorf("the policy has no digest: set its spec.digestReflectionPolicy to IfNotPresent or Always")
		}
		return ref.Digest, nil
	}
	return ref.String(), nil
}
