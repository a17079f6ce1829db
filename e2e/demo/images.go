package demo

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/ferry-gitops/ferry/shared/testing/registry"
)

// The image seed 002 automates, as the demo's registry serves it.
const (
	// ImageName is the repository of my-app in the demo's registry.
	ImageName = "myorg/my-app"
	// FirstTag is the tag the registry holds, and the seed repository's Deployment runs, at
	// the start.
	FirstTag = "v1.0.0"
	// seedImage is the image seed 002's Deployment names; the demo serves it locally.
	seedImage = "ghcr.io/myorg/my-app"
	// seedDeployment is seed 002's Deployment in the seed repository, marked for the
	// ImagePolicy flux-system:my-app.
	seedDeployment = "apps/base/my-app/deployment.yaml"
)

// startRegistry starts the demo's registry on 127.0.0.1 holding my-app at FirstTag.
func startRegistry() (*registry.Registry, error) {
	reg, err := registry.Start(registry.Options{})
	if err != nil {
		return nil, fmt.Errorf("failed to start the registry: %w", err)
	}
	if _, err := reg.PushFiles(ImageName, FirstTag, map[string]string{"version": FirstTag}, "", ""); err != nil {
		reg.Close()
		return nil, fmt.Errorf("failed to push %s:%s: %w", ImageName, FirstTag, err)
	}
	return reg, nil
}

// pointAtRegistry rewrites, in the working copy work of the seed repository, seed 002's
// Deployment to run my-app from the demo's registry (repo is its image repository).
func pointAtRegistry(work, repo string) error {
	path := filepath.Join(work, filepath.FromSlash(seedDeployment))
	data, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("failed to read %s: %w", seedDeployment, err)
	}
	if !strings.Contains(string(data), seedImage+":") {
		return fmt.Errorf("%s does not name %s", seedDeployment, seedImage)
	}
	out := strings.Replace(string(data), seedImage+":", repo+":", 1)
	if err := os.WriteFile(path, []byte(out), 0o644); err != nil {
		return fmt.Errorf("failed to write %s: %w", seedDeployment, err)
	}
	return nil
}

// Tag points tag of my-app at the manifest of FirstTag, as CI pushing a new version would.
func (w *World) Tag(tag string) error {
	if err := w.registry.Tag(ImageName, FirstTag, tag); err != nil {
		return fmt.Errorf("failed to tag %s:%s: %w", ImageName, tag, err)
	}
	return nil
}
