// Package build builds a local directory the way a Kustomization would build it in the
// cluster, for `ferry build kustomization` and `ferry diff kustomization`: the very build of
// kustomize-controller (shared/kustomize/build: a generated kustomization file when there is
// none, the spec's overlay fields, commonMetadata, the directory only read) and its post-build
// substitution (shared/kustomize/substitute), then the Kustomization's owner labels.
package build

import (
	"fmt"
	"path/filepath"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	kustomizev1 "github.com/ferry-gitops/ferry/shared/api/kustomize/v1"
	"github.com/ferry-gitops/ferry/shared/kustomize/build"
	"github.com/ferry-gitops/ferry/shared/kustomize/substitute"
)

// Options say what to build.
type Options struct {
	// Dir is the local directory (--path): it stands for the Kustomization's spec.path.
	Dir string
	// Kustomization gives the overlay fields, commonMetadata, postBuild and owner labels.
	Kustomization *kustomizev1.Kustomization
	// Vars are the postBuild variables, resolved (substitute.Variables).
	Vars map[string]string
}

// Build returns the objects of the directory as the Kustomization would apply them. A
// kustomization in the directory may refer to files above it, as in a checkout of the
// source: the build is confined to the filesystem, not to the directory.
func Build(opts Options) ([]*unstructured.Unstructured, error) {
	dir, err := filepath.Abs(opts.Dir)
	if err != nil {
		return nil, fmt.Errorf("failed to resolve %s: %w", opts.Dir, err)
	}
	ks := opts.Kustomization
	root := filepath.VolumeName(dir) + string(filepath.Separator)
	rel, err := filepath.Rel(root, dir)
	if err != nil {
		return nil, err
	}
	objs, err := build.Build(&ks.Spec, build.Options{Root: root, Path: rel})
	if err != nil {
		return nil, err
	}
	if err := substitute.PostBuild(objs, ks.Spec.PostBuild, opts.Vars, false); err != nil {
		return nil, err
	}
	for _, obj := range objs {
		labels := obj.GetLabels()
		if labels == nil {
			labels = map[string]string{}
		}
		labels[kustomizev1.NameLabel], labels[kustomizev1.NamespaceLabel] = ks.Name, ks.Namespace
		obj.SetLabels(labels)
	}
	return objs, nil
}
