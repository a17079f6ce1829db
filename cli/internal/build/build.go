// Package build builds a local directory the way a Kustomization would build it in the
// cluster, for `ferry build kustomization` and `ferry diff kustomization`: a kustomization.yaml
// is generated when the directory has none, the overlay fields of the Kustomization's spec
// (targetNamespace, namePrefix, nameSuffix, patches, images, components) are added to it in
// memory (the directory is only read), Kustomize's API builds it, commonMetadata and the
// Kustomization's owner labels are set, and postBuild variables are substituted.
package build

import (
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/kustomize/api/konfig"
	"sigs.k8s.io/kustomize/api/krusty"
	"sigs.k8s.io/kustomize/api/types"
	"sigs.k8s.io/kustomize/kyaml/filesys"
	"sigs.k8s.io/kustomize/kyaml/resid"
	"sigs.k8s.io/yaml"

	kustomizev1 "github.com/ferry-gitops/ferry/shared/api/kustomize/v1"
)

// root is where the directory is copied in the in-memory filesystem.
const root = "/src"

// Options say what to build.
type Options struct {
	// Dir is the local directory (--path).
	Dir string
	// Kustomization gives the overlay fields, commonMetadata and owner labels.
	Kustomization *kustomizev1.Kustomization
	// Vars are the postBuild variables, resolved (substitute and substituteFrom); nil skips
	// substitution.
	Vars map[string]string
}

// Build returns the objects of the directory as the Kustomization would apply them.
func Build(opts Options) ([]*unstructured.Unstructured, error) {
	fsys := filesys.MakeFsInMemory()
	if err := copyDir(fsys, opts.Dir); err != nil {
		return nil, err
	}
	if err := overlay(fsys, opts.Kustomization); err != nil {
		return nil, err
	}
	rm, err := krusty.MakeKustomizer(krusty.MakeDefaultOptions()).Run(fsys, root)
	if err != nil {
		return nil, fmt.Errorf("failed to build %s: %w", opts.Dir, err)
	}
	var objs []*unstructured.Unstructured
	for _, r := range rm.Resources() {
		data, err := r.MarshalJSON()
		if err != nil {
			return nil, fmt.Errorf("failed to read the built objects: %w", err)
		}
		obj := &unstructured.Unstructured{}
		if err := obj.UnmarshalJSON(data); err != nil {
			return nil, fmt.Errorf("failed to decode %s: %w", r.CurId(), err)
		}
		objs = append(objs, obj)
	}
	ks := opts.Kustomization
	if cm := ks.Spec.CommonMetadata; cm != nil {
		for _, obj := range objs {
			obj.SetLabels(merged(obj.GetLabels(), cm.Labels))
			obj.SetAnnotations(merged(obj.GetAnnotations(), cm.Annotations))
		}
	}
	if opts.Vars != nil {
		if objs, err = Substitute(objs, opts.Vars); err != nil {
			return nil, err
		}
	}
	owner := map[string]string{kustomizev1.NameLabel: ks.Name, kustomizev1.NamespaceLabel: ks.Namespace}
	for _, obj := range objs {
		obj.SetLabels(merged(obj.GetLabels(), owner))
	}
	return objs, nil
}

// merged returns a with the entries of b added, or nil when both are empty.
func merged(a, b map[string]string) map[string]string {
	if len(b) == 0 {
		return a
	}
	out := map[string]string{}
	for k, v := range a {
		out[k] = v
	}
	for k, v := range b {
		out[k] = v
	}
	return out
}

// copyDir copies the regular files of dir into fsys under root.
func copyDir(fsys filesys.FileSystem, dir string) error {
	return filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return fmt.Errorf("failed to read %s: %w", p, err)
		}
		if !d.Type().IsRegular() {
			return nil
		}
		rel, err := filepath.Rel(dir, p)
		if err != nil {
			return err
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return fmt.Errorf("failed to read %s: %w", p, err)
		}
		return fsys.WriteFile(path.Join(root, filepath.ToSlash(rel)), data)
	})
}

// overlay adds the Kustomization's overlay fields to root's kustomization file, generating
// one that lists the directory's manifests when there is none.
func overlay(fsys filesys.FileSystem, ks *kustomizev1.Kustomization) error {
	file, k, err := kustomizationFile(fsys)
	if err != nil {
		return err
	}
	spec := ks.Spec
	if spec.TargetNamespace != "" {
		k.Namespace = spec.TargetNamespace
	}
	k.NamePrefix += spec.NamePrefix
	k.NameSuffix += spec.NameSuffix
	for _, p := range spec.Patches {
		patch := types.Patch{Patch: p.Patch}
		if t := p.Target; t != nil {
			patch.Target = &types.Selector{ResId: resid.ResId{Gvk: resid.Gvk{Group: t.Group, Version: t.Version, Kind: t.Kind},
				Name: t.Name, Namespace: t.Namespace}, LabelSelector: t.LabelSelector, AnnotationSelector: t.AnnotationSelector}
		}
		k.Patches = append(k.Patches, patch)
	}
	for _, img := range spec.Images {
		k.Images = append(k.Images, types.Image{Name: img.Name, NewName: img.NewName, NewTag: img.NewTag, Digest: img.Digest})
	}
	k.Components = append(k.Components, spec.Components...)
	data, err := yaml.Marshal(k)
	if err != nil {
		return fmt.Errorf("failed to encode the kustomization: %w", err)
	}
	return fsys.WriteFile(file, data)
}

// kustomizationFile reads root's kustomization file, or generates one listing the
// manifests below root (a directory with its own kustomization file is listed whole).
func kustomizationFile(fsys filesys.FileSystem) (string, *types.Kustomization, error) {
	for _, name := range konfig.RecognizedKustomizationFileNames() {
		file := path.Join(root, name)
		if !fsys.Exists(file) {
			continue
		}
		data, err := fsys.ReadFile(file)
		if err != nil {
			return "", nil, err
		}
		k := &types.Kustomization{}
		if err := yaml.Unmarshal(data, k); err != nil {
			return "", nil, fmt.Errorf("failed to decode %s: %w", name, err)
		}
		k.FixKustomization()
		return file, k, nil
	}
	k := &types.Kustomization{TypeMeta: types.TypeMeta{APIVersion: types.KustomizationVersion, Kind: types.KustomizationKind}}
	resources, err := manifests(fsys, root)
	if err != nil {
		return "", nil, err
	}
	k.Resources = resources
	return path.Join(root, konfig.DefaultKustomizationFileName()), k, nil
}

// manifests lists, relative to root, the YAML files below dir and the directories that
// have their own kustomization file.
func manifests(fsys filesys.FileSystem, dir string) ([]string, error) {
	entries, err := fsys.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("failed to read %s: %w", dir, err)
	}
	sort.Strings(entries)
	var out []string
	for _, e := range entries {
		p := path.Join(dir, e)
		rel := strings.TrimPrefix(strings.TrimPrefix(p, root), "/")
		switch {
		case fsys.IsDir(p) && hasKustomization(fsys, p):
			out = append(out, rel)
		case fsys.IsDir(p):
			sub, err := manifests(fsys, p)
			if err != nil {
				return nil, err
			}
			out = append(out, sub...)
		case strings.HasSuffix(e, ".yaml") || strings.HasSuffix(e, ".yml"):
			out = append(out, rel)
		}
	}
	return out, nil
}

// hasKustomization reports whether dir holds a kustomization file.
func hasKustomization(fsys filesys.FileSystem, dir string) bool {
	for _, name := range konfig.RecognizedKustomizationFileNames() {
		if fsys.Exists(path.Join(dir, name)) {
			return true
		}
	}
	return false
}
