package provider

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/google/go-github/v75/github"
)

// gitHub drives the GitHub REST API through go-github.
type gitHub struct {
	client *github.Client
}

func newGitHub(opts Options, hc *http.Client) (Provider, error) {
	c := github.NewClient(hc).WithAuthToken(opts.Token)
	if opts.Hostname != GitHub.DefaultHostname() {
		base := "https://" + opts.Hostname + "/api/v3/"
		var err error
		if c, err = c.WithEnterpriseURLs(base, "https://"+opts.Hostname+"/api/uploads/"); err != nil {
			return nil, fmt.Errorf("failed to configure the GitHub client for %s: %w", opts.Hostname, err)
		}
	}
	return &gitHub{client: c}, nil
}

// EnsureRepository gets the repository, or creates it for the user or the organization.
func (p *gitHub) EnsureRepository(ctx context.Context, owner, name string, opts RepositoryOptions) (Repository, error) {
	repo, _, err := p.client.Repositories.Get(ctx, owner, name)
	if err == nil {
		return Repository{CloneURL: repo.GetCloneURL(), SSHURL: repo.GetSSHURL()}, nil
	}
	if !isGitHubNotFound(err) {
		return Repository{}, fmt.Errorf("failed to get the repository %s/%s: %w", owner, name, err)
	}
	org := owner
	if opts.Personal {
		org = ""
	}
	repo, _, err = p.client.Repositories.Create(ctx, org, &github.Repository{
		Name: github.Ptr(name), Private: github.Ptr(opts.Private), Description: github.Ptr(opts.Description),
		AutoInit: github.Ptr(true),
	})
	if err != nil {
		return Repository{}, fmt.Errorf("failed to create the repository %s/%s: %w", owner, name, err)
	}
	return Repository{CloneURL: repo.GetCloneURL(), SSHURL: repo.GetSSHURL(), Created: true}, nil
}

// EnsureDeployKey lists the repository's keys and adds (or replaces) the key.
func (p *gitHub) EnsureDeployKey(ctx context.Context, owner, name string, key DeployKey) (bool, error) {
	keys, _, err := p.client.Repositories.ListKeys(ctx, owner, name, &github.ListOptions{PerPage: 100})
	if err != nil {
		return false, fmt.Errorf("failed to list the deploy keys of %s/%s: %w", owner, name, err)
	}
	for _, k := range keys {
		if k.GetTitle() != key.Title {
			continue
		}
		if sameKey(k.GetKey(), key.Key) && k.GetReadOnly() == key.ReadOnly {
			return false, nil
		}
		if _, err := p.client.Repositories.DeleteKey(ctx, owner, name, k.GetID()); err != nil {
			return false, fmt.Errorf("failed to delete the deploy key %q of %s/%s: %w", key.Title, owner, name, err)
		}
	}
	_, _, err = p.client.Repositories.CreateKey(ctx, owner, name, &github.Key{
		Title: github.Ptr(key.Title), Key: github.Ptr(key.Key), ReadOnly: github.Ptr(key.ReadOnly)})
	if err != nil {
		return false, fmt.Errorf("failed to add the deploy key to %s/%s: %w", owner, name, err)
	}
	return true, nil
}

// isGitHubNotFound reports whether err is a 404 answer.
func isGitHubNotFound(err error) bool {
	var e *github.ErrorResponse
	return errors.As(err, &e) && e.Response != nil && e.Response.StatusCode == http.StatusNotFound
}
