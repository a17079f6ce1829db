package provider

import (
	"context"
	"fmt"
	"net/http"

	"code.gitea.io/sdk/gitea"
)

// giteaAPI drives the Gitea REST API (v1) through Gitea's SDK.
type giteaAPI struct {
	client *gitea.Client
}

func newGitea(opts Options, hc *http.Client) (Provider, error) {
	c, err := gitea.NewClient("https://"+opts.Hostname, gitea.SetToken(opts.Token), gitea.SetHTTPClient(hc))
	if err != nil {
		return nil, fmt.Errorf("failed to create the Gitea client: %w", err)
	}
	return &giteaAPI{client: c}, nil
}

// EnsureRepository gets the repository, or creates it for the user or the organization.
func (p *giteaAPI) EnsureRepository(ctx context.Context, owner, name string, opts RepositoryOptions) (Repository, error) {
	p.client.SetContext(ctx)
	repo, resp, err := p.client.GetRepo(owner, name)
	if err == nil {
		return Repository{CloneURL: repo.CloneURL, SSHURL: repo.SSHURL}, nil
	}
	if resp == nil || resp.StatusCode != http.StatusNotFound {
		return Repository{}, fmt.Errorf("failed to get the repository %s/%s: %w", owner, name, err)
	}
	create := gitea.CreateRepoOption{Name: name, Private: opts.Private, Description: opts.Description,
		AutoInit: true, DefaultBranch: opts.DefaultBranch}
	if opts.Personal {
		repo, _, err = p.client.CreateRepo(create)
	} else {
		repo, _, err = p.client.CreateOrgRepo(owner, create)
	}
	if err != nil {
		return Repository{}, fmt.Errorf("failed to create the repository %s/%s: %w", owner, name, err)
	}
	return Repository{CloneURL: repo.CloneURL, SSHURL: repo.SSHURL, Created: true}, nil
}

// EnsureDeployKey lists the repository's keys and adds (or replaces) the key.
func (p *giteaAPI) EnsureDeployKey(ctx context.Context, owner, name string, key DeployKey) (bool, error) {
	p.client.SetContext(ctx)
	keys, _, err := p.client.ListDeployKeys(owner, name, gitea.ListDeployKeysOptions{})
	if err != nil {
		return false, fmt.Errorf("failed to list the deploy keys of %s/%s: %w", owner, name, err)
	}
	for _, k := range keys {
		if k.Title != key.Title {
			continue
		}
		if sameKey(k.Key, key.Key) && k.ReadOnly == key.ReadOnly {
			return false, nil
		}
		if _, err := p.client.DeleteDeployKey(owner, name, k.ID); err != nil {
			return false, fmt.Errorf("failed to delete the deploy key %q of %s/%s: %w", key.Title, owner, name, err)
		}
	}
	_, _, err = p.client.CreateDeployKey(owner, name, gitea.CreateKeyOption{Title: key.Title, Key: key.Key, ReadOnly: key.ReadOnly})
	if err != nil {
		return false, fmt.Errorf("failed to add the deploy key to %s/%s: %w", owner, name, err)
	}
	return true, nil
}
