package provider

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	gitlab "gitlab.com/gitlab-org/api/client-go"
)

// gitLab drives the GitLab REST API (v4) through GitLab's client-go.
type gitLab struct {
	client *gitlab.Client
}

func newGitLab(opts Options, hc *http.Client) (Provider, error) {
	c, err := gitlab.NewClient(opts.Token, gitlab.WithBaseURL("https://"+opts.Hostname+"/api/v4"), gitlab.WithHTTPClient(hc))
	if err != nil {
		return nil, fmt.Errorf("failed to create the GitLab client: %w", err)
	}
	return &gitLab{client: c}, nil
}

// EnsureRepository gets the project owner/name, or creates it in the user's namespace or
// in the group owner.
func (p *gitLab) EnsureRepository(ctx context.Context, owner, name string, opts RepositoryOptions) (Repository, error) {
	proj, _, err := p.client.Projects.GetProject(owner+"/"+name, nil, gitlab.WithContext(ctx))
	if err == nil {
		return Repository{CloneURL: proj.HTTPURLToRepo, SSHURL: proj.SSHURLToRepo}, nil
	}
	if !errors.Is(err, gitlab.ErrNotFound) {
		return Repository{}, fmt.Errorf("failed to get the project %s/%s: %w", owner, name, err)
	}
	visibility := gitlab.PublicVisibility
	if opts.Private {
		visibility = gitlab.PrivateVisibility
	}
	create := &gitlab.CreateProjectOptions{
		Name: gitlab.Ptr(name), Path: gitlab.Ptr(name), Visibility: gitlab.Ptr(visibility),
		Description: gitlab.Ptr(opts.Description), InitializeWithReadme: gitlab.Ptr(true),
	}
	if opts.DefaultBranch != "" {
		create.DefaultBranch = gitlab.Ptr(opts.DefaultBranch)
	}
	if !opts.Personal {
		group, _, err := p.client.Groups.GetGroup(owner, nil, gitlab.WithContext(ctx))
		if err != nil {
			return Repository{}, fmt.Errorf("failed to get the group %s: %w", owner, err)
		}
		create.NamespaceID = gitlab.Ptr(group.ID)
	}
	proj, _, err = p.client.Projects.CreateProject(create, gitlab.WithContext(ctx))
	if err != nil {
		return Repository{}, fmt.Errorf("failed to create the project %s/%s: %w", owner, name, err)
	}
	return Repository{CloneURL: proj.HTTPURLToRepo, SSHURL: proj.SSHURLToRepo, Created: true}, nil
}

// EnsureDeployKey lists the project's deploy keys and adds (or replaces) the key.
func (p *gitLab) EnsureDeployKey(ctx context.Context, owner, name string, key DeployKey) (bool, error) {
	pid := owner + "/" + name
	keys, _, err := p.client.DeployKeys.ListProjectDeployKeys(pid, &gitlab.ListProjectDeployKeysOptions{
		ListOptions: gitlab.ListOptions{PerPage: 100}}, gitlab.WithContext(ctx))
	if err != nil {
		return false, fmt.Errorf("failed to list the deploy keys of %s: %w", pid, err)
	}
	for _, k := range keys {
		if k.Title != key.Title {
			continue
		}
		if sameKey(k.Key, key.Key) && k.CanPush == !key.ReadOnly {
			return false, nil
		}
		if _, err := p.client.DeployKeys.DeleteDeployKey(pid, k.ID, gitlab.WithContext(ctx)); err != nil {
			return false, fmt.Errorf("failed to delete the deploy key %q of %s: %w", key.Title, pid, err)
		}
	}
	_, _, err = p.client.DeployKeys.AddDeployKey(pid, &gitlab.AddDeployKeyOptions{
		Title: gitlab.Ptr(key.Title), Key: gitlab.Ptr(key.Key), CanPush: gitlab.Ptr(!key.ReadOnly)}, gitlab.WithContext(ctx))
	if err != nil {
		return false, fmt.Errorf("failed to add the deploy key to %s: %w", pid, err)
	}
	return true, nil
}
