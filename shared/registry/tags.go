package registry

import (
	"context"
	"errors"
	"net/http"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"
)

// ListTags returns every tag of repo, following the registry's pagination (Link headers).
// Errors are explained (Explain).
func (c *Client) ListTags(ctx context.Context, repo name.Repository) ([]string, error) {
	tags, err := c.puller.List(ctx, repo)
	if err != nil {
		return nil, Explain("list the tags of "+repo.Name(), err)
	}
	return tags, nil
}

// Digest returns the manifest digest ("sha256:<hex>") that tag points at, asked with a HEAD
// request, or with a GET of the manifest (never of its layers) where the registry does not
// answer HEAD. Errors are explained (Explain).
func (c *Client) Digest(ctx context.Context, tag name.Tag) (string, error) {
	desc, err := c.puller.Head(ctx, tag)
	if err == nil {
		return desc.Digest.String(), nil
	}
	var te *transport.Error
	if !errors.As(err, &te) || te.StatusCode != http.StatusMethodNotAllowed {
		return "", Explain("resolve tag '"+tag.TagStr()+"' of "+tag.Context().Name(), err)
	}
	full, err := c.puller.Get(ctx, tag)
	if err != nil {
		return "", Explain("resolve tag '"+tag.TagStr()+"' of "+tag.Context().Name(), err)
	}
	return full.Digest.String(), nil
}
