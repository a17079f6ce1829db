// Package message renders an ImageUpdateAutomation's commit message (and the opt-in push
// branch name) from spec.git.commit.messageTemplate: a Go text/template with Sprig's
// functions (less those reading the controller's environment or the network) over Flux's
// template data — .AutomationObject, .Changed (.FileChanges, .Objects, .Changes,
// .ImageResult) and .Values — and over the .Updated data of Flux's older APIs, which seed
// documents still use.
package message

import (
	"sort"

	"github.com/google/go-containerregistry/pkg/name"
	"k8s.io/apimachinery/pkg/types"

	"github.com/ferry-gitops/ferry/image-automation-controller/internal/setters"
	imagev1 "github.com/ferry-gitops/ferry/shared/api/image/v1"
)

// Data is the value a template is executed with.
type Data struct {
	// AutomationObject names the ImageUpdateAutomation; it prints as "<namespace>/<name>".
	AutomationObject types.NamespacedName
	// Changed is what the update changed, file by file and object by object.
	Changed Changed
	// Values are spec.git.commit.messageTemplateValues.
	Values map[string]string
	// Updated is the older APIs' view of the same update (deprecated): the images set, by
	// file and by object.
	Updated Result
}

// ObjectIdentifier identifies a Kubernetes object (a YAML document) of the repository.
type ObjectIdentifier struct {
	// APIVersion, Kind, Name and Namespace of the object; empty when the document has none.
	APIVersion, Kind, Name, Namespace string
}

// Change is one field the update rewrote.
type Change struct {
	// OldValue and NewValue are the field's value before and after.
	OldValue, NewValue string
	// Setter is the field's marker: "<namespace>:<name>[:tag|:name|:digest]".
	Setter string
}

// ObjectChanges maps each changed object to its changes.
type ObjectChanges map[ObjectIdentifier][]Change

// Changed is what the update changed: file → object → changes.
type Changed struct {
	// FileChanges maps each changed file (a slash path from the repository root) to its
	// objects' changes.
	FileChanges map[string]ObjectChanges
	// ImageResult is the same update as images set (the older data, as .Updated).
	ImageResult Result
}

// Changes returns every distinct change, file by file (in path order) and object by object.
func (c Changed) Changes() []Change {
	return distinct(c.FileChanges, func(objs ObjectChanges) map[ObjectIdentifier][]Change { return objs })
}

// Objects returns the changes of every object, whatever file it is in.
func (c Changed) Objects() ObjectChanges {
	out := ObjectChanges{}
	for _, file := range sortedKeys(c.FileChanges) {
		for id, changes := range c.FileChanges[file] {
			out[id] = append(out[id], changes...)
		}
	}
	return out
}

// New builds the template data of an update of the automation ns/name: its changes, the
// images of the policies they came from (by "<namespace>/<name>" of the policy) and the
// template values.
func New(automation types.NamespacedName, changes []setters.Change, images map[string]imagev1.ImageRef, values map[string]string) Data {
	d := Data{AutomationObject: automation, Values: values,
		Changed: Changed{FileChanges: map[string]ObjectChanges{}}, Updated: Result{Files: map[string]FileResult{}}}
	for _, c := range changes {
		id := ObjectIdentifier(c.Object)
		objs := d.Changed.FileChanges[c.File]
		if objs == nil {
			objs = ObjectChanges{}
			d.Changed.FileChanges[c.File] = objs
		}
		objs[id] = append(objs[id], Change{OldValue: c.OldValue, NewValue: c.NewValue, Setter: c.Marker.String()})
		policy := types.NamespacedName{Namespace: c.Marker.Namespace, Name: c.Marker.Name}
		d.Updated.add(c.File, id, newImageRef(images[policy.String()], policy))
	}
	d.Changed.ImageResult = d.Updated
	return d
}

// distinct returns the distinct items of every object of every file, files in path order
// and objects in sortedIDs order.
func distinct[F any, T comparable](files map[string]F, objects func(F) map[ObjectIdentifier][]T) []T {
	seen := map[T]bool{}
	var out []T
	for _, file := range sortedKeys(files) {
		objs := objects(files[file])
		for _, id := range sortedIDs(objs) {
			for _, item := range objs[id] {
				if !seen[item] {
					seen[item] = true
					out = append(out, item)
				}
			}
		}
	}
	return out
}

// sortedKeys returns the keys of m in order.
func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// sortedIDs returns the objects of m ordered by kind, namespace and name.
func sortedIDs[V any](m map[ObjectIdentifier]V) []ObjectIdentifier {
	ids := make([]ObjectIdentifier, 0, len(m))
	for id := range m {
		ids = append(ids, id)
	}
	sort.Slice(ids, func(i, j int) bool {
		a, b := ids[i], ids[j]
		if a.Kind != b.Kind {
			return a.Kind < b.Kind
		}
		if a.Namespace != b.Namespace {
			return a.Namespace < b.Namespace
		}
		if a.Name != b.Name {
			return a.Name < b.Name
		}
		return a.APIVersion < b.APIVersion
	})
	return ids
}

// parseRef reads an image reference leniently, as a registry would name it.
func parseRef(s string) (name.Reference, error) {
	return name.ParseReference(s, name.WeakValidation)
}
