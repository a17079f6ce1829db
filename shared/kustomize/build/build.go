// Package build runs Kustomize on a directory of an extracted source artifact, the way the
// Kustomization API asks: a kustomization file is generated when the directory has none, the
// overlay fields of the spec (targetNamespace, namePrefix, nameSuffix, patches, images,
// components, buildMetadata) are added to it, and commonMetadata is set on every object.
//
// The artifact directory is never written: generated and edited kustomization files and
// decrypted files live in memory, and every read is confined to the artifact root.
package build

import (
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/kustomize/api/krusty"
	"sigs.k8s.io/kustomize/api/resmap"
	"sigs.k8s.io/kustomize/api/resource"
	"sigs.k8s.io/kustomize/api/types"

	kustomizev1 "github.com/ferry-gitops/ferry/shared/api/kustomize/v1"
	fluxmeta "github.com/ferry-gitops/ferry/shared/api/meta"
)

// Options says where to build and with which restrictions.
type Options struct {
	// Root is the extracted artifact's root directory. It is only read: the same directory is
	// shared by every Kustomization of the same revision.
	Root string
	// Path is spec.path, relative to Root; "" and "./" mean Root itself.
	Path string
	// NoRemoteBases refuses kustomizations that refer to remote Git repositories or HTTP
	// files, before anything is downloaded.
	NoRemoteBases bool
	// Decryptor, when set, decrypts SOPS-encrypted files as Kustomize reads them (files of
	// secretGenerator and configMapGenerator, patches, encrypted manifests).
	Decryptor Decryptor
}

// Decryptor decrypts the files Kustomize reads (kustomize-controller's SOPS decryptor).
type Decryptor interface {
	// DecryptFile returns the plain content of the file at path and whether it was
	// encrypted; a file that is not encrypted comes back as it is.
	DecryptFile(path string, data []byte) ([]byte, bool, error)
}

// kustomizeMu serialises Kustomize runs: Kustomize keeps its OpenAPI schema in package state
// that concurrent builds would race on.
var kustomizeMu sync.Mutex

// Build runs Kustomize on Root/Path with the overlay fields of spec and returns the objects in
// Kustomize's legacy order (namespaces and CRDs first, then by kind and name), which is stable
// for a given source. Errors name files relative to Root.
func Build(spec *kustomizev1.KustomizationSpec, opts Options) ([]*unstructured.Unstructured, error) {
	out, err := build(spec, opts)
	if err != nil {
		return nil, err
	}
	return out.objects, nil
}

// output is what a build made: the objects, each one's JSON encoding, and whether the same
// inputs always make the same objects.
type output struct {
	objects []*unstructured.Unstructured
	raw     [][]byte
	// pure: nothing was decrypted and nothing is fetched from outside the artifact (remote
	// bases, files by URL), so the objects follow from the artifact and the spec alone.
	pure bool
}

// build is Build, with what Cache keeps.
func build(spec *kustomizev1.KustomizationSpec, opts Options) (*output, error) {
	if spec == nil {
		spec = &kustomizev1.KustomizationSpec{}
	}
	fsys, err := newSourceFS(opts.Root, opts.Decryptor)
	if err != nil {
		return nil, err
	}
	dir, err := fsys.buildDir(opts.Path)
	if err != nil {
		return nil, err
	}
	if err := fsys.prepareKustomization(dir, spec); err != nil {
		return nil, fsys.explain(opts.Path, err)
	}
	remote := false
	if opts.NoRemoteBases {
		if err := fsys.checkNoRemote(dir, map[string]bool{}); err != nil {
			return nil, fsys.explain(opts.Path, err)
		}
	} else {
		remote = fsys.checkNoRemote(dir, map[string]bool{}) != nil
		fsys.clones = clonePattern()
	}
	m, err := runKustomize(fsys, dir)
	if err != nil {
		return nil, fsys.explain(opts.Path, err)
	}
	if err := setCommonMetadata(m, spec.CommonMetadata); err != nil {
		return nil, err
	}
	out, err := toObjects(m)
	if err != nil {
		return nil, err
	}
	if err := checkDuplicates(out.objects); err != nil {
		return nil, err
	}
	out.pure = !remote && opts.Decryptor == nil
	return out, nil
}

// buildDir resolves spec.path inside the root and checks that it is a directory.
func (f *sourceFS) buildDir(path string) (string, error) {
	if filepath.IsAbs(path) {
		return "", fmt.Errorf("failed to build: path %q must be relative to the source root", path)
	}
	dir, err := f.resolve(path)
	if err != nil {
		return "", fmt.Errorf("failed to build %q: %w", path, err)
	}
	info, err := os.Stat(dir)
	if err != nil {
		return "", &PathNotFoundError{Path: path}
	}
	if !info.IsDir() {
		return "", fmt.Errorf("failed to build: path %q is not a directory", path)
	}
	return dir, nil
}

// PathNotFoundError is the error of Build when spec.path does not exist in the source: the
// artifact, not its content, is what is wrong.
type PathNotFoundError struct {
	// Path is spec.path.
	Path string
}

// Error says which path is missing.
func (e *PathNotFoundError) Error() string {
	return fmt.Sprintf("failed to build: path %q does not exist in the source", e.Path)
}

// clonePattern matches the directories Kustomize clones remote bases into
// (os.MkdirTemp("", "kustomize-")) and what they hold.
func clonePattern() *regexp.Regexp {
	tmp, err := filepath.EvalSymlinks(os.TempDir())
	if err != nil {
		return nil
	}
	return regexp.MustCompile("^" + regexp.QuoteMeta(filepath.Join(tmp, "kustomize-")) + `[0-9]+(/|$)`)
}

// runKustomize builds dir with Kustomize's builtin plugins only. A panic inside Kustomize
// (some inputs still reach one) is returned as an error.
func runKustomize(fsys *sourceFS, dir string) (m resmap.ResMap, err error) {
	opts := &krusty.Options{
		Reorder:          krusty.ReorderOptionLegacy,
		LoadRestrictions: types.LoadRestrictionsNone,
		PluginConfig:     types.DisabledPluginConfig(),
	}
	kustomizeMu.Lock()
	defer kustomizeMu.Unlock()
	defer func() {
		if r := recover(); r != nil {
			m, err = nil, fmt.Errorf("kustomize failed on this input: %v", r)
		}
	}()
	return krusty.MakeKustomizer(opts).Run(fsys, dir)
}

// explain turns an error of the build into one that names paths relative to the source root
// and says plainly when a path left the root.
func (f *sourceFS) explain(path string, err error) error {
	if v := f.firstViolation(); v != "" {
		return fmt.Errorf("failed to build %q: %s leaves the source root", displayPath(path), v)
	}
	msg := strings.ReplaceAll(err.Error(), f.root+string(filepath.Separator), "")
	msg = clarify(strings.ReplaceAll(msg, f.root, "."))
	if strings.HasPrefix(msg, duplicateMessage) && len(f.included) > 1 {
		msg += fmt.Sprintf(" (%s has no kustomization file, so the one generated for it includes "+
			"every kustomization below it: %s; point spec.path at one of them)",
			displayPath(path), strings.Join(f.included, ", "))
	}
	return fmt.Errorf("failed to build %q: %s", displayPath(path), msg)
}

// displayPath renders spec.path for messages.
func displayPath(path string) string {
	if path == "" {
		return "./"
	}
	return path
}

// toObjects converts Kustomize's resources to unstructured objects through JSON, so that
// numbers have the types the Kubernetes machinery expects.
func toObjects(m resmap.ResMap) (*output, error) {
	out := &output{objects: make([]*unstructured.Unstructured, 0, m.Size()), raw: make([][]byte, 0, m.Size())}
	for _, res := range m.Resources() {
		raw, err := res.MarshalJSON()
		if err != nil {
			return nil, fmt.Errorf("failed to encode %s: %w", resourceName(res), err)
		}
		u := &unstructured.Unstructured{}
		if err := u.UnmarshalJSON(raw); err != nil {
			return nil, fmt.Errorf("failed to decode %s: %w", resourceName(res), err)
		}
		out.objects = append(out.objects, u)
		out.raw = append(out.raw, raw)
	}
	return out, nil
}

// resourceName names a resource for messages: Kind/namespace/name.
func resourceName(res *resource.Resource) string {
	if ns := res.GetNamespace(); ns != "" {
		return fmt.Sprintf("%s/%s/%s", res.GetKind(), ns, res.GetName())
	}
	return fmt.Sprintf("%s/%s", res.GetKind(), res.GetName())
}

// objectKey identifies an object in a build.
func objectKey(u *unstructured.Unstructured) string {
	gvk := u.GroupVersionKind()
	kind := gvk.Kind
	if gvk.Group != "" {
		kind = gvk.Kind + "." + gvk.Group
	}
	if ns := u.GetNamespace(); ns != "" {
		return fmt.Sprintf("%s %s/%s", kind, ns, u.GetName())
	}
	return fmt.Sprintf("%s %s", kind, u.GetName())
}

// checkDuplicates returns an error naming every object that appears more than once.
func checkDuplicates(objs []*unstructured.Unstructured) error {
	count := map[string]int{}
	for _, u := range objs {
		count[objectKey(u)]++
	}
	var dups []string
	for key, n := range count {
		if n > 1 {
			dups = append(dups, fmt.Sprintf("%s (%d times)", key, n))
		}
	}
	if len(dups) == 0 {
		return nil
	}
	sort.Strings(dups)
	return errors.New("failed to build: " + duplicateMessage + ": " + strings.Join(dups, ", "))
}

// setCommonMetadata sets the labels and annotations of commonMetadata on every resource,
// replacing values of the same keys; selectors and templates are left alone.
func setCommonMetadata(m resmap.ResMap, cm *fluxmeta.CommonMetadata) error {
	if cm == nil || (len(cm.Labels) == 0 && len(cm.Annotations) == 0) {
		return nil
	}
	for _, res := range m.Resources() {
		if len(cm.Labels) > 0 {
			labels := res.GetLabels()
			if labels == nil {
				labels = map[string]string{}
			}
			maps.Copy(labels, cm.Labels)
			if err := res.SetLabels(labels); err != nil {
				return fmt.Errorf("failed to set commonMetadata labels on %s: %w", resourceName(res), err)
			}
		}
		if len(cm.Annotations) > 0 {
			annotations := res.GetAnnotations()
			if annotations == nil {
				annotations = map[string]string{}
			}
			maps.Copy(annotations, cm.Annotations)
			if err := res.SetAnnotations(annotations); err != nil {
				return fmt.Errorf("failed to set commonMetadata annotations on %s: %w", resourceName(res), err)
			}
		}
	}
	return nil
}
