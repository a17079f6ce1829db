package main

import (
	"debug/buildinfo"
	"fmt"
	"runtime"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// Spec says how to build one controller's image.
type Spec struct {
	// Name is the controller's name: the binary's name in the image and the image's title.
	Name string
	// Binary is the path of the static binary (make build).
	Binary string
	// CACerts is the path of the CA bundle copied to /etc/ssl/certs/ca-certificates.crt.
	CACerts string
	// Source, Revision and Version fill the org.opencontainers.image labels of the same
	// names; empty ones are left out.
	Source, Revision, Version string
}

// Build makes the image of a controller: a scratch image with one layer (the binary, the CA
// bundle, /etc/passwd and /etc/group, /tmp) that runs the binary as 65534:65534. The image
// holds no timestamp, so the same inputs give the same digest.
func Build(spec Spec) (v1.Image, error) {
	layer, err := newLayer(spec.Name, spec.Binary, spec.CACerts)
	if err != nil {
		return nil, err
	}
	base := mutate.MediaType(empty.Image, types.OCIManifestSchema1)
	base = mutate.ConfigMediaType(base, types.OCIConfigJSON)
	img, err := mutate.Append(base, mutate.Addendum{
		Layer:   layer,
		History: v1.History{CreatedBy: "ferry make images", Comment: spec.Name},
	})
	if err != nil {
		return nil, fmt.Errorf("failed to append layer: %w", err)
	}
	cf, err := img.ConfigFile()
	if err != nil {
		return nil, fmt.Errorf("failed to read config: %w", err)
	}
	cf = cf.DeepCopy()
	cf.OS, cf.Architecture = "linux", binaryArch(spec.Binary)
	cf.Config = config(spec)
	img, err = mutate.ConfigFile(img, cf)
	if err != nil {
		return nil, fmt.Errorf("failed to set config: %w", err)
	}
	return img, nil
}

// config is the run-time configuration of a controller's image.
func config(spec Spec) v1.Config {
	return v1.Config{
		User:       fmt.Sprintf("%d:%d", nobody, nobody),
		Entrypoint: []string{"/usr/local/bin/" + spec.Name},
		WorkingDir: "/",
		Env:        []string{"PATH=/usr/local/bin", "SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt"},
		Labels:     labels(spec),
	}
}

// labels are the OCI annotations of a controller's image, without empty values.
func labels(spec Spec) map[string]string {
	all := map[string]string{
		"org.opencontainers.image.title":    spec.Name,
		"org.opencontainers.image.source":   spec.Source,
		"org.opencontainers.image.revision": spec.Revision,
		"org.opencontainers.image.version":  spec.Version,
	}
	for k, v := range all {
		if v == "" {
			delete(all, k)
		}
	}
	return all
}

// binaryArch is the GOARCH a Go binary was built for, read from its build information, or
// this machine's GOARCH when the file is not a Go binary.
func binaryArch(path string) string {
	info, err := buildinfo.ReadFile(path)
	if err != nil {
		return runtime.GOARCH
	}
	for _, s := range info.Settings {
		if s.Key == "GOARCH" && s.Value != "" {
			return s.Value
		}
	}
	return runtime.GOARCH
}

// platform is the platform of an image, from its config.
func platform(img v1.Image) (v1.Platform, error) {
	cf, err := img.ConfigFile()
	if err != nil {
		return v1.Platform{}, fmt.Errorf("failed to read config: %w", err)
	}
	return v1.Platform{OS: cf.OS, Architecture: cf.Architecture}, nil
}
