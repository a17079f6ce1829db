// Package oci resolves and pulls OCI artifacts with go-containerregistry for OCIRepository:
// it resolves spec.ref (digest, semver over the tags, or tag) with a manifest HEAD or a tag
// listing, without pulling layers, then pulls one selected layer and extracts or copies it.
// How a registry is reached (credentials, TLS, proxy, retries) is shared/registry's;
// nothing here knows about Kubernetes.
package oci

import (
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/ferry-gitops/ferry/shared/artifact"
	"github.com/ferry-gitops/ferry/shared/registry"
)

// Config says how to reach a registry (shared with the image controllers) and how much of
// an artifact to pull.
type Config struct {
	registry.Config
	// Limits bound the selected layer: MaxDownloadSize its compressed size, the others its
	// unpacked content when it is extracted. Zero fields take artifact's defaults.
	Limits artifact.Limits
}

// Client talks to registries as one Config says. Close it when done.
type Client struct {
	reg      *registry.Client
	insecure bool
	limits   artifact.Limits
}

// NewClient builds a Client from cfg. It fails on unusable credentials or TLS material,
// without naming any secret value.
func NewClient(cfg Config) (*Client, error) {
	reg, err := registry.New(cfg.Config)
	if err != nil {
		return nil, err
	}
	limits := cfg.Limits
	if limits.MaxDownloadSize <= 0 {
		limits.MaxDownloadSize = artifact.DefaultMaxDownloadSize
	}
	return &Client{reg: reg, insecure: cfg.Insecure, limits: limits}, nil
}

// Close releases the client's idle connections.
func (c *Client) Close() { c.reg.Close() }

// RemoteOptions are the go-containerregistry options that send requests as the client does
// (its credentials, TLS, proxy and retries), for the signature verifiers.
func (c *Client) RemoteOptions() []remote.Option {
	return []remote.Option{remote.Reuse(c.reg.Puller())}
}

// NameOptions are the options to parse the references the client reaches.
func (c *Client) NameOptions() []name.Option { return c.reg.NameOptions() }
