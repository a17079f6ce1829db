package git

import (
	"context"
	"fmt"
	"strings"

	"github.com/Masterminds/semver/v3"
	gogit "github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/config"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/storage/memory"

	sourcev1 "github.com/ferry-gitops/ferry/shared/api/source/v1"
	"github.com/ferry-gitops/ferry/shared/semvertag"
)

// DefaultBranch is the branch used when a reference is empty.
const DefaultBranch = "master"

// Commit is a resolved commit and the Flux revision string naming it.
type Commit struct {
	// Hash is the full hexadecimal SHA-1 of the commit.
	Hash string
	// Ref is the reference it was reached through, e.g. refs/heads/main; empty for a bare commit.
	Ref string
	// Revision is Flux's revision string, e.g. main@sha1:<hash>.
	Revision string
	// Message is the commit message, when the commit was fetched; ResolveRef leaves it empty.
	Message string
}

// subjectLength is how many characters of a commit subject ShortMessage keeps.
const subjectLength = 50

// ShortMessage returns the first line of the commit message, cut to 50 characters with
// "..." appended when it is longer.
func (c Commit) ShortMessage() string {
	subject, _, _ := strings.Cut(strings.TrimSpace(c.Message), "\n")
	subject = strings.TrimSpace(subject)
	if r := []rune(subject); len(r) > subjectLength {
		return string(r[:subjectLength]) + "..."
	}
	return subject
}

// ResolveRef asks the remote for its references, without cloning, and resolves ref
// following Flux's precedence: commit, name, semver, tag, then branch.
func ResolveRef(ctx context.Context, rawURL string, auth *Auth, ref *sourcev1.GitRepositoryRef) (Commit, error) {
	refs, err := ListRefs(ctx, rawURL, auth)
	if err != nil {
		return Commit{}, err
	}
	return SelectRef(refs, ref)
}

// ListRefs returns the remote's references by name, with annotated tags peeled.
func ListRefs(ctx context.Context, rawURL string, auth *Auth) (map[string]string, error) {
	t, err := auth.Transport(rawURL)
	if err != nil {
		return nil, err
	}
	remote := gogit.NewRemote(memory.NewStorage(), &config.RemoteConfig{Name: "origin", URLs: []string{rawURL}})
	list, err := remote.ListContext(ctx, t.ListOptions())
	if err != nil {
		return nil, RemoteError("list refs of", rawURL, err)
	}
	refs := make(map[string]string, len(list))
	for _, r := range list {
		if r.Type() != plumbing.HashReference {
			continue
		}
		name := r.Name().String()
		if strings.HasSuffix(name, "^{}") {
			refs[strings.TrimSuffix(name, "^{}")] = r.Hash().String()
			continue
		}
		if _, peeled := refs[name]; !peeled {
			refs[name] = r.Hash().String()
		}
	}
	return refs, nil
}

// SelectRef applies Flux's reference precedence to a listing of remote refs.
func SelectRef(refs map[string]string, ref *sourcev1.GitRepositoryRef) (Commit, error) {
	if ref == nil {
		ref = &sourcev1.GitRepositoryRef{}
	}
	switch {
	case ref.Commit != "":
		return Commit{Hash: ref.Commit, Revision: "sha1:" + ref.Commit}, nil
	case ref.SemVer != "" && ref.Name == "":
		tag, err := highestTag(refs, ref.SemVer)
		if err != nil {
			return Commit{}, err
		}
		return lookup(refs, "refs/tags/"+tag, tag)
	}
	name, short := RefName(ref)
	return lookup(refs, name, short)
}

// RefName returns the full and short names of a name, tag or branch reference (the default
// branch when none is set).
func RefName(ref *sourcev1.GitRepositoryRef) (string, string) {
	switch {
	case ref.Name != "":
		return ref.Name, ref.Name
	case ref.Tag != "":
		return "refs/tags/" + ref.Tag, ref.Tag
	case ref.Branch != "":
		return "refs/heads/" + ref.Branch, ref.Branch
	}
	return "refs/heads/" + DefaultBranch, DefaultBranch
}

func lookup(refs map[string]string, name, short string) (Commit, error) {
	hash, ok := refs[name]
	if !ok {
		return Commit{}, fmt.Errorf("couldn't find remote ref '%s': %w", name, ErrRefNotFound)
	}
	return Commit{Hash: hash, Ref: name, Revision: short + "@sha1:" + hash}, nil
}

// highestTag returns the highest tag (with or without a leading v) within the range.
func highestTag(refs map[string]string, rng string) (string, error) {
	c, err := semver.NewConstraint(rng)
	if err != nil {
		return "", fmt.Errorf("failed to parse semver range '%s': %w", rng, err)
	}
	var tags []string
	for name := range refs {
		if tag, ok := strings.CutPrefix(name, "refs/tags/"); ok {
			tags = append(tags, tag)
		}
	}
	tag := semvertag.Highest(tags, c, nil)
	if tag == "" {
		return "", fmt.Errorf("no tag matches semver range '%s': %w", rng, ErrRefNotFound)
	}
	return tag, nil
}
