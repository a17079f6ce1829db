package build

import (
	"fmt"
	"path/filepath"
	"regexp"
	"strings"

	"sigs.k8s.io/kustomize/api/types"
	"sigs.k8s.io/yaml"
)

// scpURL matches an SCP-style Git address such as git@host:org/repo.
var scpURL = regexp.MustCompile(`^[^/@:]+@[^/:]+:`)

// isRemote reports whether a resource or component entry of a kustomization refers to
// something Kustomize would fetch over the network: an HTTP(S) file, or a Git repository.
func isRemote(ref string) bool {
	lower := strings.ToLower(ref)
	return strings.HasPrefix(lower, "git::") || strings.Contains(ref, "://") ||
		scpURL.MatchString(ref) || strings.HasPrefix(lower, "github.com/") ||
		strings.HasPrefix(lower, "github.com:")
}

// checkNoRemote walks the kustomization files reachable from dir through resources, bases
// and components and returns an error naming the first remote reference, so that Kustomize
// never starts a download.
func (f *sourceFS) checkNoRemote(dir string, visited map[string]bool) error {
	if visited[dir] {
		return nil
	}
	visited[dir] = true
	file := f.kustomizationFile(dir)
	if file == "" {
		return nil
	}
	data, err := f.ReadFile(file)
	if err != nil {
		return err
	}
	var k types.Kustomization
	if err := yaml.Unmarshal(data, &k); err != nil {
		return fmt.Errorf("failed to parse %s: %w", f.rel(file), err)
	}
	for _, ref := range fileRefs(&k) {
		if !strings.ContainsAny(ref, "\n ") && isRemote(ref) {
			return fmt.Errorf("remote bases are not allowed (--no-remote-bases): %q in %s", ref, f.rel(file))
		}
	}
	refs := append(append(append([]string{}, k.Resources...), k.Bases...), k.Components...)
	for _, ref := range refs {
		if isRemote(ref) {
			return fmt.Errorf("remote bases are not allowed (--no-remote-bases): %q in %s", ref, f.rel(file))
		}
		sub := filepath.Join(dir, ref)
		if f.IsDir(sub) {
			if err := f.checkNoRemote(filepath.Clean(sub), visited); err != nil {
				return err
			}
		}
	}
	return nil
}

// fileRefs lists the entries of a kustomization, other than resources and components, that
// may name a file Kustomize would download when it is a URL.
func fileRefs(k *types.Kustomization) []string {
	var refs []string
	for _, p := range append(append([]types.Patch{}, k.Patches...), k.PatchesJson6902...) {
		refs = append(refs, p.Path)
	}
	for _, p := range k.PatchesStrategicMerge {
		refs = append(refs, string(p))
	}
	refs = append(refs, k.Crds...)
	refs = append(refs, k.Configurations...)
	refs = append(refs, k.Generators...)
	refs = append(refs, k.Transformers...)
	refs = append(refs, k.Validators...)
	return refs
}
