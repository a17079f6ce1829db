package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"

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

// push uploads img to ref (registry/repository:tag) with the credentials of the Docker
// config; a registry on localhost or a loopback address is spoken to over plain HTTP.
func push(ctx context.Context, img v1.Image, ref string) error {
	r, err := name.ParseReference(ref)
	if err != nil {
		return fmt.Errorf("failed to parse image reference %q: %w", ref, err)
	}
	if err := remote.Write(r, img, remote.WithContext(ctx), remote.WithAuthFromKeychain(authn.DefaultKeychain)); err != nil {
		return fmt.Errorf("failed to push %s: %w", ref, err)
	}
	return nil
}
