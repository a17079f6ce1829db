package build

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"

	"sigs.k8s.io/kustomize/api/konfig"
	"sigs.k8s.io/kustomize/api/provider"
	"sigs.k8s.io/kustomize/api/types"
	"sigs.k8s.io/yaml"

	kustomizev1 "github.com/ferry-gitops/ferry/shared/api/kustomize/v1"
	fluxmeta "github.com/ferry-gitops/ferry/shared/api/meta"
)

// kustomizationFile returns the path of the kustomization file in dir, or "" when there is
// none.
func (f *sourceFS) kustomizationFile(dir string) string {
	for _, name := range konfig.RecognizedKustomizationFileNames() {
		p := filepath.Join(dir, name)
		if f.Exists(p) && !f.IsDir(p) {
			return p
		}
	}
	return ""
}

// prepareKustomization makes sure dir has a kustomization file carrying the overlay fields
// of spec, in memory: it generates one over the manifests found below dir when there is
// none, and edits a copy of the existing one otherwise. An existing file is left as it is
// when spec sets no overlay field.
func (f *sourceFS) prepareKustomization(dir string, spec *kustomizev1.KustomizationSpec) error {
	file := f.kustomizationFile(dir)
	var doc map[string]any
	if file == "" {
		resources, err := f.scanManifests(dir)
		if err != nil {
			return err
		}
		file = filepath.Join(dir, konfig.DefaultKustomizationFileName())
		doc = map[string]any{
			"apiVersion": types.KustomizationVersion,
			"kind":       types.KustomizationKind,
			"resources":  resources,
		}
	} else {
		data, err := f.ReadFile(file)
		if err != nil {
			return err
		}
		if err := yaml.Unmarshal(data, &doc); err != nil {
			return fmt.Errorf("failed to parse %s: %w", f.rel(file), err)
		}
		if !hasOverlay(spec) {
			return nil
		}
		if doc == nil {
			doc = map[string]any{}
		}
	}
	f.applyOverlay(doc, dir, spec)
	out, err := yaml.Marshal(doc)
	if err != nil {
		return fmt.Errorf("failed to encode kustomization for %s: %w", f.rel(dir), err)
	}
	f.overlay[file] = out
	return nil
}

// hasOverlay reports whether spec sets a field that changes the kustomization file.
func hasOverlay(spec *kustomizev1.KustomizationSpec) bool {
	return spec.TargetNamespace != "" || spec.NamePrefix != "" || spec.NameSuffix != "" ||
		len(spec.Patches) > 0 || len(spec.Images) > 0 || len(spec.Components) > 0 ||
		len(spec.BuildMetadata) > 0
}

// applyOverlay sets the overlay fields of spec on a kustomization document: the namespace,
// name prefix and suffix replace the file's; an image replaces the entry of the same name
// (the file's or an earlier one of spec), as in Flux; patches, other images, components and
// build metadata are added after the file's.
func (f *sourceFS) applyOverlay(doc map[string]any, dir string, spec *kustomizev1.KustomizationSpec) {
	setNonEmpty(doc, "namespace", spec.TargetNamespace, "namePrefix", spec.NamePrefix,
		"nameSuffix", spec.NameSuffix)
	for _, p := range spec.Patches {
		doc["patches"] = appendList(doc["patches"], patchEntry(p))
	}
	for _, img := range spec.Images {
		entry := map[string]any{"name": img.Name}
		setNonEmpty(entry, "newName", img.NewName, "newTag", img.NewTag, "digest", img.Digest)
		doc["images"] = setImage(doc["images"], entry)
	}
	for _, c := range spec.Components {
		if spec.IgnoreMissingComponents && !f.IsDir(filepath.Join(dir, c)) {
			continue
		}
		doc["components"] = appendList(doc["components"], c)
	}
	for _, m := range spec.BuildMetadata {
		doc["buildMetadata"] = appendList(doc["buildMetadata"], string(m))
	}
}

// setNonEmpty sets, for each key and value pair, m[key] = value unless value is empty.
func setNonEmpty(m map[string]any, pairs ...string) {
	for i := 0; i+1 < len(pairs); i += 2 {
		if pairs[i+1] != "" {
			m[pairs[i]] = pairs[i+1]
		}
	}
}

// setImage replaces the entry of list (a YAML sequence or nil) naming the same image as
// entry, or appends entry when there is none.
func setImage(list any, entry map[string]any) []any {
	l, _ := list.([]any)
	for i, e := range l {
		if m, ok := e.(map[string]any); ok && m["name"] == entry["name"] {
			l[i] = entry
			return l
		}
	}
	return append(l, entry)
}

// appendList appends v to list, a YAML sequence or nil.
func appendList(list any, v any) []any {
	l, _ := list.([]any)
	return append(l, v)
}

// patchEntry renders a spec patch as a kustomization patches entry.
func patchEntry(p fluxmeta.Patch) map[string]any {
	entry := map[string]any{"patch": p.Patch}
	if t := p.Target; t != nil {
		target := map[string]any{}
		setNonEmpty(target, "group", t.Group, "version", t.Version, "kind", t.Kind,
			"namespace", t.Namespace, "name", t.Name, "labelSelector", t.LabelSelector,
			"annotationSelector", t.AnnotationSelector)
		entry["target"] = target
	}
	return entry
}

// scanManifests lists, relative to dir, the resources of a generated kustomization: every
// .yaml or .yml file below dir holding Kubernetes objects, and every subdirectory holding a
// kustomization file (whose content is then not scanned). A YAML file that does not decode
// as Kubernetes objects is an error naming it.
func (f *sourceFS) scanManifests(dir string) ([]any, error) {
	factory := provider.NewDefaultDepProvider().GetResourceFactory()
	var resources []string
	err := filepath.Walk(dir, func(path string, info os.FileInfo, err error) error {
		if err != nil {
			return fmt.Errorf("failed to read %s: %w", f.rel(path), errors.Unwrap(err))
		}
		if path == dir {
			return nil
		}
		if info.IsDir() {
			if f.kustomizationFile(path) != "" {
				resources = append(resources, path)
				return filepath.SkipDir
			}
			return nil
		}
		if ext := filepath.Ext(path); ext != ".yaml" && ext != ".yml" {
			return nil
		}
		data, err := f.ReadFile(path)
		if err != nil {
			return err
		}
		if _, err := factory.SliceFromBytes(data); err != nil {
			return fmt.Errorf("failed to decode Kubernetes YAML from %s: %w", f.rel(path), err)
		}
		resources = append(resources, path)
		return nil
	})
	if err != nil {
		return nil, err
	}
	sort.Strings(resources)
	out := make([]any, 0, len(resources))
	for _, r := range resources {
		rel, err := filepath.Rel(dir, r)
		if err != nil {
			return nil, fmt.Errorf("failed to relate %s to %s: %w", f.rel(r), f.rel(dir), err)
		}
		if f.IsDir(r) {
			f.included = append(f.included, "./"+filepath.ToSlash(f.rel(r)))
		}
		out = append(out, rel)
	}
	return out, nil
}
