package notifier

import (
	"context"
	"crypto/sha1"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"strings"

	fluxmeta "github.com/ferry-gitops/ferry/shared/api/meta"
)

// statusState is the state a commit status reports.
type statusState int

const (
	stateSuccess statusState = iota
	stateFailure
	statePending
)

// commitStatus is what a commit status provider writes for one event.
type commitStatus struct {
	sha, id, description string
	state                statusState
}

// maxDescription is the longest description GitHub accepts; the others accept more.
const maxDescription = 140

// shaRE matches an abbreviated or full SHA-1 or SHA-256 commit hash.
var shaRE = regexp.MustCompile(`^[0-9a-f]{7,64}$`)

// statusOf returns the commit status of ev, or ok=false when ev names no revision (the event
// is not about a commit, so there is no status to write).
func statusOf(ctx context.Context, c *Config, ev Event) (st commitStatus, ok bool, err error) {
	rev, found := ev.Metadata[RevisionKey]
	if !found || rev == "" {
		return st, false, nil
	}
	sha, err := CommitSHA(rev)
	if err != nil {
		return st, false, err
	}
	id, err := statusID(ctx, c, ev)
	if err != nil {
		return st, false, err
	}
	st = commitStatus{sha: sha, id: id, description: truncate(ev.Message, maxDescription), state: stateSuccess}
	switch {
	case isError(ev):
		st.state = stateFailure
	case ev.Reason == fluxmeta.ProgressingReason:
		st.state = statePending
	}
	return st, true, nil
}

// CommitSHA extracts the commit hash from a revision as Flux writes them: "main@sha1:<sha>",
// "sha1:<sha>", the older "main/<sha>", or a bare hash.
func CommitSHA(revision string) (string, error) {
	s := revision
	if i := strings.LastIndex(s, "@"); i >= 0 {
		s = s[i+1:]
	}
	if i := strings.LastIndex(s, ":"); i >= 0 {
		s = s[i+1:]
	}
	if i := strings.LastIndex(s, "/"); i >= 0 {
		s = s[i+1:]
	}
	if !shaRE.MatchString(s) {
		return "", fmt.Errorf("revision %q names no commit", revision)
	}
	return s, nil
}

// statusID returns the identifier (context, key or name) of the commit status of ev: the
// Provider's commitStatusExpr, or "<kind>/<name>/<first part of the Provider's UID>" in
// lower case, as Flux computes it.
func statusID(ctx context.Context, c *Config, ev Event) (string, error) {
	if c.StatusID != nil {
		id, err := c.StatusID(ctx, ev)
		if err != nil {
			return "", fmt.Errorf("failed to evaluate spec.commitStatusExpr: %w", err)
		}
		if id == "" {
			return "", errors.New("spec.commitStatusExpr returned an empty identifier")
		}
		return id, nil
	}
	uid, _, _ := strings.Cut(c.ProviderUID, "-")
	return strings.ToLower(fmt.Sprintf("%s/%s/%s", ev.InvolvedObject.Kind, ev.InvolvedObject.Name, uid)), nil
}

// repository is a Git repository address: scheme and host of the server, and the path
// segments naming the repository (owner and name, or more for GitLab groups).
type repository struct {
	scheme, host string
	path         []string
}

// base is "<scheme>://<host>".
func (r repository) base() string { return r.scheme + "://" + r.host }

// parseRepository parses an https repository URL with at least minSegments path segments; a
// trailing ".git" is dropped.
func parseRepository(address string, minSegments int) (repository, error) {
	u, err := url.Parse(address)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return repository{}, errors.New("the address must be the repository's http(s) URL")
	}
	var segs []string
	for _, s := range strings.Split(strings.Trim(u.Path, "/"), "/") {
		if s != "" {
			segs = append(segs, s)
		}
	}
	if len(segs) > 0 {
		segs[len(segs)-1] = strings.TrimSuffix(segs[len(segs)-1], ".git")
	}
	if len(segs) < minSegments {
		return repository{}, fmt.Errorf("the address %s://%s%s does not name a repository", u.Scheme, u.Host, u.Path)
	}
	return repository{scheme: u.Scheme, host: u.Host, path: segs}, nil
}

// bitbucketKey shortens an identifier to Bitbucket's 40-character key limit.
func bitbucketKey(id string) string {
	if len(id) <= 40 {
		return id
	}
	sum := sha1.Sum([]byte(id))
	return hex.EncodeToString(sum[:])
}
