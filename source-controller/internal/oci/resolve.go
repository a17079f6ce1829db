package oci

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"

	"github.com/Masterminds/semver/v3"
	"github.com/google/go-containerregistry/pkg/name"

	sourcev1 "github.com/ferry-gitops/ferry/shared/api/source/v1"
	"github.com/ferry-gitops/ferry/shared/registry"
	"github.com/ferry-gitops/ferry/shared/semvertag"
)

// DefaultTag is the tag resolved when spec.ref sets nothing.
const DefaultTag = "latest"

// Errors that Resolve and Pull wrap, for callers to choose a condition reason with errors.Is.
var (
	// ErrInvalid marks a URL, tag, digest, semver range or filter that can never work: the
	// spec must change.
	ErrInvalid = errors.New("invalid spec")
	// ErrAuth marks credentials the registry refused, or none where some are needed.
	ErrAuth = registry.ErrAuth
	// ErrNotFound marks a repository, tag or digest the registry does not have.
	ErrNotFound = registry.ErrNotFound
	// ErrNoMatchingTag marks a semver range that no tag of the repository satisfies.
	ErrNoMatchingTag = errors.New("no tag matches")
	// ErrLayer marks a layer that is missing, too large, or cannot be extracted or copied.
	ErrLayer = errors.New("layer operation failed")
)

// Resolved is the manifest a spec.ref points at.
type Resolved struct {
	// Repository is the repository's name, host[:port]/path.
	Repository string
	// Tag is the resolved tag; empty for a digest reference.
	Tag string
	// Digest is the manifest digest, sha256:<hex>.
	Digest string
	// Revision is Flux's artifact revision: <tag>@sha256:<hex>, or sha256:<hex> for a
	// digest reference.
	Revision string
}

// ParseURL parses an oci:// URL into a repository name, reached over plain HTTP when
// insecure; errors wrap ErrInvalid.
func ParseURL(rawURL string, insecure bool) (name.Repository, error) {
	if !strings.HasPrefix(rawURL, sourcev1.OCIRepositoryPrefix) {
		return name.Repository{}, fmt.Errorf("failed to parse URL %q: %w: the URL must start with %s", rawURL, ErrInvalid, sourcev1.OCIRepositoryPrefix)
	}
	repo, err := name.NewRepository(strings.TrimPrefix(rawURL, sourcev1.OCIRepositoryPrefix), registry.NameOptions(insecure)...)
	if err != nil {
		return name.Repository{}, fmt.Errorf("failed to parse URL %q: %w: %v", rawURL, ErrInvalid, err)
	}
	return repo, nil
}

// Resolve finds the manifest that ref names in the repository at rawURL: a digest as it is
// (no request), the highest tag in a semver range (one tag listing and one manifest HEAD),
// a tag (one manifest HEAD), or a tag pinned to a digest, "<tag>@sha256:<hex>" (no
// request). No layer is pulled.
func (c *Client) Resolve(ctx context.Context, rawURL string, ref *sourcev1.OCIRepositoryRef) (Resolved, error) {
	repo, err := ParseURL(rawURL, c.insecure)
	if err != nil {
		return Resolved{}, err
	}
	if ref == nil {
		ref = &sourcev1.OCIRepositoryRef{}
	}
	if ref.Digest != "" {
		d, err := name.NewDigest(repo.Name()+"@"+ref.Digest, c.reg.NameOptions()...)
		if err != nil {
			return Resolved{}, fmt.Errorf("failed to parse digest %q: %w: %v", ref.Digest, ErrInvalid, err)
		}
		return Resolved{Repository: repo.Name(), Digest: d.DigestStr(), Revision: d.DigestStr()}, nil
	}
	tag := ref.Tag
	if ref.SemVer != "" {
		if tag, err = c.highestTag(ctx, repo, ref.SemVer, ref.SemverFilter); err != nil {
			return Resolved{}, err
		}
	}
	if tag == "" {
		tag = DefaultTag
	}
	tag, pinned, _ := strings.Cut(tag, "@")
	t, err := name.NewTag(repo.Name()+":"+tag, c.reg.NameOptions()...)
	if err != nil {
		return Resolved{}, fmt.Errorf("failed to parse tag %q: %w: %v", tag, ErrInvalid, err)
	}
	if pinned != "" { // "<tag>@sha256:<hex>" pins the digest: no request
		d, err := name.NewDigest(repo.Name()+"@"+pinned, c.reg.NameOptions()...)
		if err != nil {
			return Resolved{}, fmt.Errorf("failed to parse the digest of tag %q: %w: %v", ref.Tag, ErrInvalid, err)
		}
		return Resolved{Repository: repo.Name(), Tag: tag, Digest: d.DigestStr(), Revision: tag + "@" + d.DigestStr()}, nil
	}
	digest, err := c.reg.Digest(ctx, t)
	if err != nil {
		return Resolved{}, err
	}
	return Resolved{Repository: repo.Name(), Tag: tag, Digest: digest, Revision: tag + "@" + digest}, nil
}

// highestTag lists the repository's tags and returns the highest one within the semver
// range, among those matching filter (a regular expression) when it is set.
func (c *Client) highestTag(ctx context.Context, repo name.Repository, rng, filter string) (string, error) {
	constraint, err := semver.NewConstraint(rng)
	if err != nil {
		return "", fmt.Errorf("failed to parse semver range %q: %w: %v", rng, ErrInvalid, err)
	}
	var re *regexp.Regexp
	if filter != "" {
		if re, err = regexp.Compile(filter); err != nil {
			return "", fmt.Errorf("failed to parse semverFilter %q: %w: %v", filter, ErrInvalid, err)
		}
	}
	tags, err := c.reg.ListTags(ctx, repo)
	if err != nil {
		return "", err
	}
	tag := semvertag.Highest(tags, constraint, re)
	if tag == "" {
		return "", fmt.Errorf("failed to resolve semver range '%s' of %s: %w '%s' among %d tags", rng, repo.Name(), ErrNoMatchingTag, rng, len(tags))
	}
	return tag, nil
}
