// Package manifests builds the manifests that install Ferry: the repository's deploy/
// directory, embedded in the binary at build time (go generate copies it here), built with
// Kustomize's API and adapted to the install options (namespace, components, registry,
// image pull secret, network policies, cluster domain, tolerations, log level). Nothing is
// fetched at run time.
package manifests

//go:generate go run ./gen -src ../../../deploy -dst deploy

import (
	"embed"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"strings"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/kustomize/api/krusty"
	"sigs.k8s.io/kustomize/api/types"
	"sigs.k8s.io/kustomize/kyaml/filesys"
	"sigs.k8s.io/yaml"
)

// files holds the copy of deploy/.
//
//go:embed all:deploy
var files embed.FS

// Files returns the embedded copy of deploy/, rooted at the directory itself.
func Files() fs.FS {
	sub, err := fs.Sub(files, "deploy")
	if err != nil {
		// fs.Sub fails only on an invalid path, and "deploy" is valid.
		return files
	}
	return sub
}

// DefaultComponents are the controllers installed unless --components says otherwise, as
// flux installs them.
var DefaultComponents = []string{"source-controller", "kustomize-controller", "helm-controller", "notification-controller"}

// ExtraComponents are the controllers installed only when asked for with
// --components-extra: the image automation pair.
var ExtraComponents = []string{"image-reflector-controller", "image-automation-controller"}

// DefaultRegistry is the registry of the images deploy/ names.
const DefaultRegistry = "ghcr.io/ferry-gitops"

// Options say how to adapt deploy/ to a cluster. The zero value of each field keeps
// deploy/'s own setting.
type Options struct {
	// Namespace is where the controllers run; flux-system when empty.
	Namespace string
	// Components are the controllers to install; DefaultComponents when empty.
	Components []string
	// ComponentsExtra are more controllers to install (ExtraComponents).
	ComponentsExtra []string
	// Registry replaces DefaultRegistry in the images' names.
	Registry string
	// Tag replaces the images' tag.
	Tag string
	// ImagePullSecret is added to every Deployment's pod spec.
	ImagePullSecret string
	// WatchAllNamespaces false makes the controllers watch their own namespace only.
	WatchAllNamespaces bool
	// NetworkPolicy keeps deploy/'s NetworkPolicies.
	NetworkPolicy bool
	// ClusterDomain replaces cluster.local in the controllers' service addresses.
	ClusterDomain string
	// TolerationKeys are tolerated (operator Exists) by every Deployment.
	TolerationKeys []string
	// LogLevel sets every controller's --log-level.
	LogLevel string
	// Version, when set, labels the namespace app.kubernetes.io/version, which check reads
	// as the distribution.
	Version string
}

// VersionLabel holds, on the namespace, the version of the CLI that built the install.
const VersionLabel = "app.kubernetes.io/version"

// AllComponents returns the components Options asks for: Components (or the default ones)
// then ComponentsExtra, without repeats.
func (o Options) AllComponents() []string {
	comps := o.Components
	if len(comps) == 0 {
		comps = DefaultComponents
	}
	var out []string
	for _, c := range append(append([]string(nil), comps...), o.ComponentsExtra...) {
		if c != "" && !slices.Contains(out, c) {
			out = append(out, c)
		}
	}
	return out
}

// Validate checks that every component is a controller of deploy/.
func (o Options) Validate() error {
	known := append(append([]string(nil), DefaultComponents...), ExtraComponents...)
	for _, c := range o.AllComponents() {
		if !slices.Contains(known, c) {
			return fmt.Errorf("unknown component %q, expected one of: %s", c, strings.Join(known, ", "))
		}
	}
	return nil
}

// Build returns the install manifests: deploy/ built with Kustomize for the components and
// namespace of opts, then adapted to its other settings.
func Build(opts Options) ([]*unstructured.Unstructured, error) {
	if err := opts.Validate(); err != nil {
		return nil, err
	}
	fsys := filesys.MakeFsInMemory()
	if err := copyInto(fsys, Files(), "/deploy"); err != nil {
		return nil, err
	}
	if err := writeOverlay(fsys, opts); err != nil {
		return nil, err
	}
	k := krusty.MakeKustomizer(krusty.MakeDefaultOptions())
	rm, err := k.Run(fsys, "/deploy")
	if err != nil {
		return nil, fmt.Errorf("failed to build the manifests: %w", err)
	}
	var objs []*unstructured.Unstructured
	for _, r := range rm.Resources() {
		data, err := r.MarshalJSON()
		if err != nil {
			return nil, fmt.Errorf("failed to read the built manifests: %w", err)
		}
		obj := &unstructured.Unstructured{}
		if err := obj.UnmarshalJSON(data); err != nil {
			return nil, fmt.Errorf("failed to decode %s: %w", r.CurId(), err)
		}
		if !wanted(obj, opts) {
			continue
		}
		if err := adapt(obj, opts); err != nil {
			return nil, err
		}
		if obj.GetKind() == "Namespace" && opts.Version != "" {
			labels := obj.GetLabels()
			if labels == nil {
				labels = map[string]string{}
			}
			labels[VersionLabel] = opts.Version
			obj.SetLabels(labels)
		}
		objs = append(objs, obj)
	}
	return objs, nil
}

// YAML renders objs as one multi-document YAML stream.
func YAML(objs []*unstructured.Unstructured) (string, error) {
	var b strings.Builder
	for _, obj := range objs {
		data, err := yaml.Marshal(obj.Object)
		if err != nil {
			return "", fmt.Errorf("failed to encode %s %s: %w", obj.GetKind(), obj.GetName(), err)
		}
		b.WriteString("---\n")
		b.Write(data)
	}
	return b.String(), nil
}

// copyInto writes every file of src into fsys under root.
func copyInto(fsys filesys.FileSystem, src fs.FS, root string) error {
	return fs.WalkDir(src, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := fs.ReadFile(src, p)
		if err != nil {
			return fmt.Errorf("failed to read the embedded %s: %w", p, err)
		}
		return fsys.WriteFile(path.Join(root, p), data)
	})
}

// writeOverlay rewrites deploy/'s kustomization.yaml for opts: only the chosen components
// and, unless disabled, the network policies, in opts.Namespace, with the registry and tag
// of opts.
func writeOverlay(fsys filesys.FileSystem, opts Options) error {
	const file = "/deploy/kustomization.yaml"
	data, err := fsys.ReadFile(file)
	if err != nil {
		return fmt.Errorf("failed to read deploy/kustomization.yaml: %w", err)
	}
	var k types.Kustomization
	if err := yaml.Unmarshal(data, &k); err != nil {
		return fmt.Errorf("failed to decode deploy/kustomization.yaml: %w", err)
	}
	comps := opts.AllComponents()
	var resources []string
	for _, r := range k.Resources {
		switch {
		case isComponent(r) && !slices.Contains(comps, r):
		case r == "network-policies.yaml" && !opts.NetworkPolicy:
		default:
			resources = append(resources, r)
		}
	}
	k.Resources = resources
	if opts.Namespace != "" {
		k.Namespace = opts.Namespace
	}
	if opts.Registry != "" || opts.Tag != "" {
		for _, c := range comps {
			img := types.Image{Name: DefaultRegistry + "/" + c, NewTag: opts.Tag}
			if opts.Registry != "" {
				img.NewName = strings.TrimSuffix(opts.Registry, "/") + "/" + c
			}
			k.Images = append(k.Images, img)
		}
	}
	out, err := yaml.Marshal(k)
	if err != nil {
		return fmt.Errorf("failed to encode the overlay: %w", err)
	}
	return fsys.WriteFile(file, out)
}

// isComponent reports whether a resource of deploy/kustomization.yaml is a controller's
// directory.
func isComponent(resource string) bool {
	return slices.Contains(DefaultComponents, resource) || slices.Contains(ExtraComponents, resource)
}

// crdComponent names the controller that reconciles the kinds a CRD defines.
var crdComponent = map[string]string{
	"source.toolkit.fluxcd.io":                       "source-controller",
	"kustomize.toolkit.fluxcd.io":                    "kustomize-controller",
	"helm.toolkit.fluxcd.io":                         "helm-controller",
	"notification.toolkit.fluxcd.io":                 "notification-controller",
	"imagerepositories.image.toolkit.fluxcd.io":      "image-reflector-controller",
	"imagepolicies.image.toolkit.fluxcd.io":          "image-reflector-controller",
	"imageupdateautomations.image.toolkit.fluxcd.io": "image-automation-controller",
}

// wanted reports whether obj belongs to the install: a CRD only when the controller of its
// kinds is installed.
func wanted(obj *unstructured.Unstructured, opts Options) bool {
	if obj.GetKind() != "CustomResourceDefinition" {
		return true
	}
	name := obj.GetName()
	_, group, _ := strings.Cut(name, ".")
	comp, ok := crdComponent[name]
	if !ok {
		comp, ok = crdComponent[group]
	}
	return !ok || slices.Contains(opts.AllComponents(), comp)
}
