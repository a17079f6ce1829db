package postrender

import (
	"bytes"
	"fmt"

	"sigs.k8s.io/kustomize/api/krusty"
	"sigs.k8s.io/kustomize/api/types"
	"sigs.k8s.io/kustomize/kyaml/filesys"
	"sigs.k8s.io/kustomize/kyaml/resid"
	"sigs.k8s.io/yaml"

	helmv2 "github.com/ferry-gitops/ferry/shared/api/helm/v2"
)

// root is the directory of the in-memory file system the manifests are built in.
const root = "/release"

// Kustomize applies the patches and image overrides of one spec.postRenderers[].kustomize
// with Kustomize, in an in-memory file system.
type Kustomize struct {
	// Spec holds the patches and images.
	Spec helmv2.Kustomize
}

// Run builds manifests as the only resource of a kustomization holding the patches and
// images.
func (k *Kustomize) Run(manifests *bytes.Buffer) (*bytes.Buffer, error) {
	fs := filesys.MakeFsInMemory()
	if err := fs.MkdirAll(root); err != nil {
		return nil, fmt.Errorf("failed to create the kustomization directory: %w", err)
	}
	if err := fs.WriteFile(root+"/resources.yaml", manifests.Bytes()); err != nil {
		return nil, fmt.Errorf("failed to write the rendered manifests: %w", err)
	}
	kus, err := yaml.Marshal(k.kustomization())
	if err != nil {
		return nil, fmt.Errorf("failed to encode the kustomization: %w", err)
	}
	if err := fs.WriteFile(root+"/kustomization.yaml", kus); err != nil {
		return nil, fmt.Errorf("failed to write the kustomization: %w", err)
	}
	resources, err := krusty.MakeKustomizer(krusty.MakeDefaultOptions()).Run(fs, root)
	if err != nil {
		return nil, fmt.Errorf("failed to post-render with kustomize: %w", err)
	}
	out, err := resources.AsYaml()
	if err != nil {
		return nil, fmt.Errorf("failed to encode the post-rendered manifests: %w", err)
	}
	return bytes.NewBuffer(out), nil
}

// kustomization turns the spec into a Kustomization over resources.yaml.
func (k *Kustomize) kustomization() *types.Kustomization {
	kus := &types.Kustomization{
		TypeMeta:  types.TypeMeta{APIVersion: types.KustomizationVersion, Kind: types.KustomizationKind},
		Resources: []string{"resources.yaml"},
	}
	for _, p := range k.Spec.Patches {
		patch := types.Patch{Patch: p.Patch}
		if t := p.Target; t != nil {
			patch.Target = &types.Selector{
				ResId: resid.ResId{
					Gvk:       resid.Gvk{Group: t.Group, Version: t.Version, Kind: t.Kind},
					Name:      t.Name,
					Namespace: t.Namespace,
				},
				AnnotationSelector: t.AnnotationSelector,
				LabelSelector:      t.LabelSelector,
			}
		}
		kus.Patches = append(kus.Patches, patch)
	}
	for _, img := range k.Spec.Images {
		kus.Images = append(kus.Images, types.Image{Name: img.Name, NewName: img.NewName, NewTag: img.NewTag, Digest: img.Digest})
	}
	return kus
}
