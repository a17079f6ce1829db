package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/match"
	"github.com/google/go-containerregistry/pkg/v1/remote"
)

// refNameAnnotation names an image in an OCI image layout's index.
const refNameAnnotation = "org.opencontainers.image.ref.name"

// openLayout opens the OCI image layout at dir, creating an empty one if there is none.
func openLayout(dir string) (layout.Path, error) {
	_, err := os.Stat(dir + "/index.json")
	if err == nil {
		p, err := layout.FromPath(dir)
		if err != nil {
			return "", fmt.Errorf("failed to open OCI layout %s: %w", dir, err)
		}
		return p, nil
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return "", fmt.Errorf("failed to open OCI layout %s: %w", dir, err)
	}
	p, err := layout.Write(dir, empty.Index)
	if err != nil {
		return "", fmt.Errorf("failed to create OCI layout %s: %w", dir, err)
	}
	return p, nil
}

// writeToLayout puts img into the layout under ref, replacing the image of an earlier run
// that had the same ref, so that running twice does not grow the index.
func writeToLayout(p layout.Path, img v1.Image, ref string) error {
	pl, err := platform(img)
	if err != nil {
		return err
	}
	err = p.ReplaceImage(img, match.Annotation(refNameAnnotation, ref),
		layout.WithAnnotations(map[string]string{refNameAnnotation: ref}), layout.WithPlatform(pl))
	if err != nil {
		return fmt.Errorf("failed to write %s to the OCI layout: %w", ref, err)
	}
	return nil
}

// pruneBlobs removes the blobs of the layout that no image of its index references any more
// (the layers of images replaced by a newer build), so that rebuilding does not grow it.
func pruneBlobs(p layout.Path) error {
	keep, err := referencedBlobs(p)
	if err != nil {
		return err
	}
	dir := filepath.Join(string(p), "blobs", "sha256")
	entries, err := os.ReadDir(dir)
	if err != nil {
		return fmt.Errorf("failed to list the blobs of %s: %w", p, err)
	}
	for _, e := range entries {
		if keep["sha256:"+e.Name()] {
			continue
		}
		if err := os.Remove(filepath.Join(dir, e.Name())); err != nil {
			return fmt.Errorf("failed to remove unused blob: %w", err)
		}
	}
	return nil
}

// referencedBlobs are the digests of the manifests, configs and layers of the images in the
// layout's index.
func referencedBlobs(p layout.Path) (map[string]bool, error) {
	idx, err := p.ImageIndex()
	if err != nil {
		return nil, fmt.Errorf("failed to read the index of %s: %w", p, err)
	}
	m, err := idx.IndexManifest()
	if err != nil {
		return nil, fmt.Errorf("failed to read the index of %s: %w", p, err)
	}
	keep := map[string]bool{}
	for _, d := range m.Manifests {
		img, err := idx.Image(d.Digest)
		if err != nil {
			return nil, fmt.Errorf("failed to read image %s: %w", d.Digest, err)
		}
		mf, err := img.Manifest()
		if err != nil {
			return nil, fmt.Errorf("failed to read manifest %s: %w", d.Digest, err)
		}
		keep[d.Digest.String()], keep[mf.Config.Digest.String()] = true, true
		for _, l := range mf.Layers {
			keep[l.Digest.String()] = true
		}
	}
	return keep, nil
}

// push uploads img to ref (registry/repository:tag) with the credentials of the Docker
// config; a registry on localhost or a loopback address, or any registry when insecure is
// set, is spoken to over plain HTTP.
func push(ctx context.Context, img v1.Image, ref string, insecure bool) error {
	r, err := reference(ref, insecure)
	if err != nil {
		return err
	}
	if err := remote.Write(r, img, remote.WithContext(ctx), remote.WithAuthFromKeychain(authn.DefaultKeychain)); err != nil {
		return fmt.Errorf("failed to push %s: %w", ref, err)
	}
	return nil
}

// reference parses an image reference; insecure makes its registry plain HTTP.
func reference(ref string, insecure bool) (name.Reference, error) {
	var opts []name.Option
	if insecure {
		opts = append(opts, name.Insecure)
	}
	r, err := name.ParseReference(ref, opts...)
	if err != nil {
		return nil, fmt.Errorf("failed to parse image reference %q: %w", ref, err)
	}
	return r, nil
}
