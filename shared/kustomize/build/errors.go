package build

import (
	"encoding/json"
	"fmt"
	"regexp"
	"sort"
	"strings"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

var (
	// registeredID matches Kustomize's error for an object added twice.
	registeredID = regexp.MustCompile(`may not add resource with an already registered id: ([^'\s]+)`)
	// mergingFrom matches the file Kustomize was adding when it failed.
	mergingFrom = regexp.MustCompile(`merging resources from '([^']+)'`)
)

const (
	// idConflict is the marker of Kustomize's error when a transformer makes two objects
	// equal.
	idConflict = "ID conflict: ["
	// duplicateMessage starts every message about an object that is in a build more than once.
	duplicateMessage = "the same object is in the build more than once"
)

// clarify rewrites Kustomize's errors about duplicate objects into messages that name the
// objects (and never quote their content, which may hold secret data). Other messages are
// returned unchanged.
func clarify(msg string) string {
	if i := strings.Index(msg, idConflict); i >= 0 {
		prefix := strings.TrimSuffix(strings.TrimSpace(msg[:i]), "produces")
		names := conflictingObjects(msg[i+len(idConflict):])
		return fmt.Sprintf("%s after %s: %s", duplicateMessage,
			strings.TrimSpace(prefix), strings.Join(names, ", "))
	}
	if m := registeredID.FindStringSubmatch(msg); m != nil {
		out := duplicateMessage + ": " + m[1]
		if f := mergingFrom.FindStringSubmatch(msg); f != nil {
			out += fmt.Sprintf(" (again in %s)", f[1])
		}
		return out
	}
	return msg
}

// conflictingObjects decodes the JSON objects Kustomize lists in an ID conflict and names
// them, each once.
func conflictingObjects(list string) []string {
	dec := json.NewDecoder(strings.NewReader(list))
	seen := map[string]bool{}
	var names []string
	for {
		var obj map[string]any
		if err := dec.Decode(&obj); err != nil {
			break
		}
		key := objectKey(&unstructured.Unstructured{Object: obj})
		if !seen[key] {
			seen[key] = true
			names = append(names, key)
		}
	}
	if len(names) == 0 {
		return []string{"(objects not reported by Kustomize)"}
	}
	sort.Strings(names)
	return names
}
