package oci

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"

	sourcev1 "github.com/ferry-gitops/ferry/shared/api/source/v1"
	"github.com/ferry-gitops/ferry/shared/artifact"
	"github.com/ferry-gitops/ferry/shared/registry"
)

// Pulled describes what Pull fetched.
type Pulled struct {
	// Metadata is the manifest's annotations (nil when it has none).
	Metadata map[string]string
	// LayerDigest is the digest of the selected layer.
	LayerDigest string
	// LayerMediaType is the media type of the selected layer.
	LayerMediaType string
}

// Pull fetches the manifest r names and its one layer selected by mediaType (the first layer
// when empty). With operation extract (the default) the layer, a tar.gz, is unpacked into
// the directory dest with the client's limits; with copy the layer blob is written as it is
// to the file dest. A multi-platform index resolves to its linux/amd64 image.
func (c *Client) Pull(ctx context.Context, r Resolved, mediaType, operation, dest string) (Pulled, error) {
	ref, err := name.NewDigest(r.Repository+"@"+r.Digest, c.reg.NameOptions()...)
	if err != nil {
		return Pulled{}, fmt.Errorf("failed to parse reference %s@%s: %w: %v", r.Repository, r.Digest, ErrInvalid, err)
	}
	desc, err := c.reg.Puller().Get(ctx, ref)
	if err != nil {
		return Pulled{}, registry.Explain("pull the manifest of "+r.Revision, err)
	}
	img, err := desc.Image()
	if err != nil {
		return Pulled{}, registry.Explain("read the image of "+r.Revision, err)
	}
	manifest, err := img.Manifest()
	if err != nil {
		return Pulled{}, registry.Explain("read the manifest of "+r.Revision, err)
	}
	ld, err := selectLayer(manifest, mediaType)
	if err != nil {
		return Pulled{}, fmt.Errorf("failed to select a layer of %s: %w", r.Revision, err)
	}
	if ld.Size > c.limits.MaxDownloadSize {
		return Pulled{}, fmt.Errorf("failed to pull layer %s of %s: %w: its size %d bytes exceeds the limit of %d bytes",
			ld.Digest, r.Revision, ErrLayer, ld.Size, c.limits.MaxDownloadSize)
	}
	layer, err := img.LayerByDigest(ld.Digest)
	if err != nil {
		return Pulled{}, registry.Explain("find layer "+ld.Digest.String()+" of "+r.Revision, err)
	}
	rc, err := layer.Compressed()
	if err != nil {
		return Pulled{}, registry.Explain("pull layer "+ld.Digest.String()+" of "+r.Revision, err)
	}
	defer rc.Close()
	body := &limitedReader{r: rc, left: c.limits.MaxDownloadSize}
	if operation == sourcev1.OCILayerCopy {
		err = copyLayer(body, dest)
	} else {
		err = artifact.Extract(body, dest, c.limits)
	}
	if err != nil {
		return Pulled{}, fmt.Errorf("failed to %s layer %s of %s: %w: %w", operationName(operation), ld.Digest, r.Revision, ErrLayer, err)
	}
	return Pulled{Metadata: manifest.Annotations, LayerDigest: ld.Digest.String(), LayerMediaType: string(ld.MediaType)}, nil
}

// selectLayer returns the first layer of mediaType, or the first layer when it is empty.
func selectLayer(m *v1.Manifest, mediaType string) (v1.Descriptor, error) {
	if len(m.Layers) == 0 {
		return v1.Descriptor{}, fmt.Errorf("%w: the artifact has no layers", ErrLayer)
	}
	if mediaType == "" {
		return m.Layers[0], nil
	}
	types := make([]string, 0, len(m.Layers))
	for _, l := range m.Layers {
		if string(l.MediaType) == mediaType {
			return l, nil
		}
		types = append(types, string(l.MediaType))
	}
	return v1.Descriptor{}, fmt.Errorf("%w: no layer has media type '%s' (the layers have %s)", ErrLayer, mediaType, strings.Join(types, ", "))
}

func copyLayer(r io.Reader, dest string) error {
	f, err := os.OpenFile(dest, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o644)
	if err != nil {
		return fmt.Errorf("failed to create %s: %w", dest, err)
	}
	if _, err := io.Copy(f, r); err != nil {
		f.Close()
		return fmt.Errorf("failed to write %s: %w", dest, err)
	}
	return f.Close()
}

func operationName(op string) string {
	if op == sourcev1.OCILayerCopy {
		return "copy"
	}
	return "extract"
}

// errLayerTooLarge is returned by limitedReader past its budget.
var errLayerTooLarge = errors.New("the layer is larger than its limit")

// limitedReader fails, rather than stopping quietly, once more than left bytes are read, so
// that a registry lying about a layer's size cannot fill the disk.
type limitedReader struct {
	r    io.Reader
	left int64
}

// Read reads from the underlying reader within the remaining budget.
func (l *limitedReader) Read(p []byte) (int, error) {
	if l.left < 0 {
		return 0, errLayerTooLarge
	}
	if int64(len(p)) > l.left+1 {
		p = p[:l.left+1]
	}
	n, err := l.r.Read(p)
	l.left -= int64(n)
	if l.left < 0 {
		return n, errLayerTooLarge
	}
	return n, err
}
