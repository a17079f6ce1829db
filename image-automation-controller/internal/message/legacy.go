package message

import (
	"strings"

	"k8s.io/apimachinery/pkg/types"

	imagev1 "github.com/ferry-gitops/ferry/shared/api/image/v1"
)

// Result is the older template data (.Updated, and .Changed.ImageResult): the images an
// update set, file → object → images.
type Result struct {
	// Files maps each changed file to its objects' images.
	Files map[string]FileResult
}

// FileResult holds the images set in one file, by object.
type FileResult struct {
	// Objects maps each object of the file to the images set in it.
	Objects map[ObjectIdentifier][]ImageRef
}

// ImageRef is an image an update set, as the older data showed it: it prints as
// "<name>:<tag>".
type ImageRef struct {
	image, tag string
	policy     types.NamespacedName
}

// newImageRef returns the ImageRef of a policy's elected image.
func newImageRef(ref imagev1.ImageRef, policy types.NamespacedName) ImageRef {
	return ImageRef{image: ref.Name, tag: ref.Tag, policy: policy}
}

// String returns "<name>:<tag>", e.g. "ghcr.io/org/app:v1.2.4".
func (r ImageRef) String() string { return r.image + ":" + r.tag }

// Identifier returns the tag.
func (r ImageRef) Identifier() string { return r.tag }

// Repository returns the repository without its registry, e.g. "org/app" (library/… for
// Docker Hub's official images).
func (r ImageRef) Repository() string {
	if ref, err := parseRef(r.String()); err == nil {
		return ref.Context().RepositoryStr()
	}
	_, repo, _ := strings.Cut(r.image, "/")
	return repo
}

// Registry returns the registry, e.g. "ghcr.io" (index.docker.io for Docker Hub).
func (r ImageRef) Registry() string {
	if ref, err := parseRef(r.String()); err == nil {
		return ref.Context().RegistryStr()
	}
	registry, _, _ := strings.Cut(r.image, "/")
	return registry
}

// Name returns the fully qualified reference, e.g. "index.docker.io/library/nginx:1.25".
func (r ImageRef) Name() string {
	if ref, err := parseRef(r.String()); err == nil {
		return ref.Name()
	}
	return r.String()
}

// Policy names the ImagePolicy that elected the image.
func (r ImageRef) Policy() types.NamespacedName { return r.policy }

// add records that ref was set in object id of file.
func (res *Result) add(file string, id ObjectIdentifier, ref ImageRef) {
	fr, ok := res.Files[file]
	if !ok {
		fr = FileResult{Objects: map[ObjectIdentifier][]ImageRef{}}
		res.Files[file] = fr
	}
	for _, have := range fr.Objects[id] {
		if have == ref {
			return
		}
	}
	fr.Objects[id] = append(fr.Objects[id], ref)
}

// Images returns every distinct image set, file by file (in path order).
func (res Result) Images() []ImageRef {
	return distinct(res.Files, func(fr FileResult) map[ObjectIdentifier][]ImageRef { return fr.Objects })
}

// Objects returns the images set in every object, whatever file it is in.
func (res Result) Objects() map[ObjectIdentifier][]ImageRef {
	out := map[ObjectIdentifier][]ImageRef{}
	for _, file := range sortedKeys(res.Files) {
		for id, refs := range res.Files[file].Objects {
			out[id] = append(out[id], refs...)
		}
	}
	return out
}
