package verify

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	notationregistry "github.com/notaryproject/notation-go/registry"
	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// Limits of what is read of a notation signature, as notation's own registry client has them.
const (
	maxSignatureManifestSize = 4 << 20
	maxSignatureBlobSize     = 32 << 20
)

// notationRepository is notation's view of the registry (notation-go's registry.Repository),
// read through go-containerregistry with the artifact's own credentials and transport. It
// lists signatures with the OCI referrers API, or the referrers tag schema where the registry
// has no such API. It only reads.
type notationRepository struct {
	reg  Registry
	repo name.Repository
}

var _ notationregistry.Repository = &notationRepository{}

// options are the registry options of requests made under ctx.
func (r *notationRepository) options(ctx context.Context) []remote.Option {
	return append(append([]remote.Option{}, r.reg.Remote...), remote.WithContext(ctx))
}

// Resolve returns the descriptor of the manifest reference (a digest or a tag) names.
func (r *notationRepository) Resolve(ctx context.Context, reference string) (ocispec.Descriptor, error) {
	ref, err := name.ParseReference(r.repo.Name()+"@"+reference, r.reg.Name...)
	if err != nil {
		if ref, err = name.ParseReference(r.repo.Name()+":"+reference, r.reg.Name...); err != nil {
			return ocispec.Descriptor{}, fmt.Errorf("failed to parse reference '%s': %w", reference, err)
		}
	}
	d, err := remote.Head(ref, r.options(ctx)...)
	if err != nil {
		return ocispec.Descriptor{}, fmt.Errorf("failed to resolve %s: %w", ref, err)
	}
	return toOCI(*d), nil
}

// ListSignatures hands fn the signature manifests that refer to desc.
func (r *notationRepository) ListSignatures(ctx context.Context, desc ocispec.Descriptor, fn func([]ocispec.Descriptor) error) error {
	idx, err := remote.Referrers(r.repo.Digest(desc.Digest.String()),
		append(r.options(ctx), remote.WithFilter("artifactType", notationregistry.ArtifactTypeNotation))...)
	if err != nil {
		return fmt.Errorf("failed to list the referrers of %s: %w", desc.Digest, err)
	}
	m, err := idx.IndexManifest()
	if err != nil {
		return fmt.Errorf("failed to read the referrers of %s: %w", desc.Digest, err)
	}
	var sigs []ocispec.Descriptor
	for _, d := range m.Manifests {
		if d.ArtifactType == notationregistry.ArtifactTypeNotation {
			sigs = append(sigs, toOCI(d))
		}
	}
	return fn(sigs)
}

// FetchSignatureBlob returns the signature envelope of the signature manifest desc (its one
// layer) and the envelope's descriptor.
func (r *notationRepository) FetchSignatureBlob(ctx context.Context, desc ocispec.Descriptor) ([]byte, ocispec.Descriptor, error) {
	if desc.MediaType != ocispec.MediaTypeImageManifest {
		return nil, ocispec.Descriptor{}, fmt.Errorf("signature manifest %s has media type '%s', want '%s'", desc.Digest, desc.MediaType, ocispec.MediaTypeImageManifest)
	}
	if desc.Size > maxSignatureManifestSize {
		return nil, ocispec.Descriptor{}, fmt.Errorf("signature manifest %s is too large: %d bytes", desc.Digest, desc.Size)
	}
	got, err := remote.Get(r.repo.Digest(desc.Digest.String()), r.options(ctx)...)
	if err != nil {
		return nil, ocispec.Descriptor{}, fmt.Errorf("failed to get signature manifest %s: %w", desc.Digest, err)
	}
	m, err := v1.ParseManifest(bytes.NewReader(got.Manifest))
	if err != nil {
		return nil, ocispec.Descriptor{}, fmt.Errorf("failed to parse signature manifest %s: %w", desc.Digest, err)
	}
	if len(m.Layers) != 1 {
		return nil, ocispec.Descriptor{}, fmt.Errorf("signature manifest %s has %d layers, want one signature envelope", desc.Digest, len(m.Layers))
	}
	blob := m.Layers[0]
	if blob.Size > maxSignatureBlobSize {
		return nil, ocispec.Descriptor{}, fmt.Errorf("signature envelope %s is too large: %d bytes", blob.Digest, blob.Size)
	}
	layer, err := remote.Layer(r.repo.Digest(blob.Digest.String()), r.options(ctx)...)
	if err != nil {
		return nil, ocispec.Descriptor{}, fmt.Errorf("failed to get signature envelope %s: %w", blob.Digest, err)
	}
	rc, err := layer.Compressed() // checks the blob's digest as it is read
	if err != nil {
		return nil, ocispec.Descriptor{}, fmt.Errorf("failed to read signature envelope %s: %w", blob.Digest, err)
	}
	defer rc.Close()
	data, err := io.ReadAll(io.LimitReader(rc, blob.Size+1))
	if err == nil && int64(len(data)) != blob.Size {
		err = fmt.Errorf("its size is not %d bytes", blob.Size)
	}
	if err != nil {
		return nil, ocispec.Descriptor{}, fmt.Errorf("failed to read signature envelope %s: %w", blob.Digest, err)
	}
	return data, toOCI(blob), nil
}

// PushSignature is refused: verification only reads.
func (r *notationRepository) PushSignature(context.Context, string, []byte, ocispec.Descriptor, map[string]string) (ocispec.Descriptor, ocispec.Descriptor, error) {
	return ocispec.Descriptor{}, ocispec.Descriptor{}, errors.New("signatures are not pushed when verifying")
}

// toOCI converts a go-containerregistry descriptor to an OCI image-spec one.
func toOCI(d v1.Descriptor) ocispec.Descriptor {
	return ocispec.Descriptor{
		MediaType:    string(d.MediaType),
		ArtifactType: d.ArtifactType,
		Digest:       digest.Digest(d.Digest.String()),
		Size:         d.Size,
		Annotations:  d.Annotations,
	}
}
