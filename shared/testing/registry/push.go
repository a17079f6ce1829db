package registry

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/static"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/ferry-gitops/ferry/shared/artifact"
)

// Media types and annotations of artifacts as `flux push artifact` writes them.
const (
	// FluxConfigMediaType is the config media type of a Flux artifact.
	FluxConfigMediaType = "application/vnd.cncf.flux.config.v1+json"
	// FluxContentMediaType is the media type of a Flux artifact's one tar.gz layer.
	FluxContentMediaType = "application/vnd.cncf.flux.content.v1.tar+gzip"
	// SourceAnnotation is the manifest annotation naming where the content came from.
	SourceAnnotation = "org.opencontainers.image.source"
	// RevisionAnnotation is the manifest annotation naming the content's revision.
	RevisionAnnotation = "org.opencontainers.image.revision"
)

// Layer is one blob of an artifact.
type Layer struct {
	// MediaType is the layer's media type.
	MediaType string
	// Data is the blob.
	Data []byte
}

// Artifact is an OCI manifest with its config and layers.
type Artifact struct {
	// ConfigMediaType is the config's media type (FluxConfigMediaType when empty).
	ConfigMediaType string
	// Config is the config blob ("{}" when empty).
	Config []byte
	// Layers are the manifest's layers, in order.
	Layers []Layer
	// Annotations are the manifest's annotations.
	Annotations map[string]string
}

// PushFiles pushes a Flux-style artifact to repo:tag: one layer holding a tar.gz of files
// (path → content), the Flux config media type, and the source and revision annotations
// (when not empty). It returns the manifest digest, "sha256:<hex>".
func (r *Registry) PushFiles(repo, tag string, files map[string]string, source, revision string) (string, error) {
	data, err := TarGz(files)
	if err != nil {
		return "", err
	}
	annotations := map[string]string{}
	if source != "" {
		annotations[SourceAnnotation] = source
	}
	if revision != "" {
		annotations[RevisionAnnotation] = revision
	}
	return r.Push(repo, tag, Artifact{Layers: []Layer{{MediaType: FluxContentMediaType, Data: data}}, Annotations: annotations})
}

// Push uploads the artifact's blobs and its OCI manifest to repo, tagged tag (untagged, by
// digest only, when tag is empty), and returns the manifest digest.
func (r *Registry) Push(repo, tag string, a Artifact) (string, error) {
	ref, err := name.ParseReference(r.Repo(repo), name.Insecure)
	if err != nil {
		return "", fmt.Errorf("failed to parse repository %q: %w", repo, err)
	}
	config := a.Config
	if len(config) == 0 {
		config = []byte("{}")
	}
	configType := types.MediaType(a.ConfigMediaType)
	if configType == "" {
		configType = FluxConfigMediaType
	}
	m := v1.Manifest{SchemaVersion: 2, MediaType: types.OCIManifestSchema1, Annotations: a.Annotations}
	blobs := []v1.Layer{static.NewLayer(config, configType)}
	for _, l := range a.Layers {
		blobs = append(blobs, static.NewLayer(l.Data, types.MediaType(l.MediaType)))
	}
	for i, b := range blobs {
		d, err := descriptorOf(b)
		if err != nil {
			return "", err
		}
		if i == 0 {
			m.Config = d
		} else {
			m.Layers = append(m.Layers, d)
		}
		if err := remote.WriteLayer(ref.Context(), b, r.Options()...); err != nil {
			return "", fmt.Errorf("failed to push a blob to %s: %w", repo, err)
		}
	}
	raw, err := json.Marshal(m)
	if err != nil {
		return "", fmt.Errorf("failed to encode the manifest: %w", err)
	}
	return r.putManifest(repo, tag, rawManifest{raw: raw, mediaType: types.OCIManifestSchema1})
}

// PushImage pushes a go-containerregistry image (for example from pkg/v1/random) to repo:tag
// and returns its manifest digest.
func (r *Registry) PushImage(repo, tag string, img v1.Image) (string, error) {
	ref, err := name.ParseReference(r.Repo(repo)+":"+tag, name.Insecure)
	if err != nil {
		return "", fmt.Errorf("failed to parse reference %s:%s: %w", repo, tag, err)
	}
	if err := remote.Write(ref, img, r.Options()...); err != nil {
		return "", fmt.Errorf("failed to push %s: %w", ref, err)
	}
	d, err := img.Digest()
	if err != nil {
		return "", fmt.Errorf("failed to compute the digest of %s: %w", ref, err)
	}
	return d.String(), nil
}

// Tag points newTag of repo at the manifest that ref (a tag or "sha256:…" digest) names.
func (r *Registry) Tag(repo, ref, newTag string) error {
	sep := ":"
	if strings.HasPrefix(ref, "sha256:") {
		sep = "@"
	}
	src, err := name.ParseReference(r.Repo(repo)+sep+ref, name.Insecure)
	if err != nil {
		return fmt.Errorf("failed to parse reference %s%s%s: %w", repo, sep, ref, err)
	}
	desc, err := remote.Get(src, r.Options()...)
	if err != nil {
		return fmt.Errorf("failed to get %s: %w", src, err)
	}
	if _, err := r.putManifest(repo, newTag, desc); err != nil {
		return err
	}
	return nil
}

// Options are the go-containerregistry remote options that reach this registry: its
// credentials and a transport trusting its CA. With Options.Wrap or Options.Authorize the
// transport also carries a private credential of the Registry that passes both, so that the
// test itself can push and read whatever a client under test must present.
func (r *Registry) Options() []remote.Option {
	var tr http.RoundTripper = r.Transport()
	if r.guarded {
		tr = ownerTransport{base: tr, owner: r.owner}
	}
	opts := []remote.Option{remote.WithTransport(tr), remote.WithContext(context.Background())}
	if r.Username != "" {
		opts = append(opts, remote.WithAuth(&authn.Basic{Username: r.Username, Password: r.Password}))
	}
	return opts
}

// putManifest uploads a manifest under tag, or under its digest when tag is empty.
func (r *Registry) putManifest(repo, tag string, t remote.Taggable) (string, error) {
	raw, err := t.RawManifest()
	if err != nil {
		return "", fmt.Errorf("failed to read the manifest: %w", err)
	}
	digest, _, err := v1.SHA256(bytes.NewReader(raw))
	if err != nil {
		return "", fmt.Errorf("failed to digest the manifest: %w", err)
	}
	target := r.Repo(repo) + "@" + digest.String()
	if tag != "" {
		target = r.Repo(repo) + ":" + tag
	}
	ref, err := name.ParseReference(target, name.Insecure)
	if err != nil {
		return "", fmt.Errorf("failed to parse reference %s: %w", target, err)
	}
	if err := remote.Put(ref, t, r.Options()...); err != nil {
		return "", fmt.Errorf("failed to push the manifest %s: %w", target, err)
	}
	return digest.String(), nil
}

type rawManifest struct {
	raw       []byte
	mediaType types.MediaType
}

func (m rawManifest) RawManifest() ([]byte, error)        { return m.raw, nil }
func (m rawManifest) MediaType() (types.MediaType, error) { return m.mediaType, nil }

func descriptorOf(l v1.Layer) (v1.Descriptor, error) {
	d, err := l.Digest()
	if err != nil {
		return v1.Descriptor{}, fmt.Errorf("failed to digest a blob: %w", err)
	}
	size, _ := l.Size()    // static layers always know their size
	mt, _ := l.MediaType() // and their media type
	return v1.Descriptor{MediaType: mt, Size: size, Digest: d}, nil
}

// TarGz packs files (slash-separated path → content) into a deterministic tar.gz.
func TarGz(files map[string]string) ([]byte, error) {
	dir, err := os.MkdirTemp("", "registry-files-")
	if err != nil {
		return nil, fmt.Errorf("failed to create a temporary directory: %w", err)
	}
	defer os.RemoveAll(dir)
	src := filepath.Join(dir, "src")
	for p, content := range files {
		dest := filepath.Join(src, filepath.FromSlash(p))
		if err := os.MkdirAll(filepath.Dir(dest), 0o755); err != nil {
			return nil, fmt.Errorf("failed to create the directory of %s: %w", p, err)
		}
		if err := os.WriteFile(dest, []byte(content), 0o644); err != nil {
			return nil, fmt.Errorf("failed to write %s: %w", p, err)
		}
	}
	if err := os.MkdirAll(src, 0o755); err != nil {
		return nil, fmt.Errorf("failed to create %s: %w", src, err)
	}
	out := filepath.Join(dir, "out.tar.gz")
	if _, _, err := artifact.Build(context.Background(), src, out, nil); err != nil {
		return nil, fmt.Errorf("failed to pack the files: %w", err)
	}
	data, err := os.ReadFile(out)
	if err != nil {
		return nil, fmt.Errorf("failed to read the packed files: %w", err)
	}
	return data, nil
}
