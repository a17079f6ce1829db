package notifier

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"
)

// gitlab writes GitLab commit statuses through the v4 API; the project is the address's
// path (group/sub/project) or its numeric ID.
type gitlab struct {
	client
	repo repository
}

func newGitLab(c *Config, h *http.Client) (Notifier, error) {
	if err := c.need(needs{token: true}); err != nil {
		return nil, err
	}
	repo, err := parseRepository(c.Address, 1)
	if err != nil {
		return nil, err
	}
	return &gitlab{client: client{c, h}, repo: repo}, nil
}

// Post implements Notifier.
func (n *gitlab) Post(ctx context.Context, ev Event) error {
	st, ok, err := statusOf(ctx, n.c, ev)
	if err != nil || !ok {
		return err
	}
	project := url.PathEscape(strings.Join(n.repo.path, "/"))
	u := n.repo.base() + "/api/v4/projects/" + project + "/statuses/" + st.sha
	body := map[string]string{"state": [...]string{"success", "failed", "running"}[st.state], "name": st.id, "description": st.description}
	_, err = n.send(ctx, request{url: u, body: body, header: map[string]string{"PRIVATE-TOKEN": n.c.Token}})
	// GitLab refuses to set the state a status already has: the status is as wanted.
	var he *HTTPError
	if errors.As(err, &he) && he.Status == http.StatusBadRequest && strings.Contains(he.Detail, "Cannot transition status") {
		return nil
	}
	return err
}

// gitea writes Gitea (and Forgejo) commit statuses through the v1 API.
type gitea struct {
	client
	repo repository
}

func newGitea(c *Config, h *http.Client) (Notifier, error) {
	if err := c.need(needs{token: true}); err != nil {
		return nil, err
	}
	repo, err := parseRepository(c.Address, 2)
	if err != nil {
		return nil, err
	}
	return &gitea{client: client{c, h}, repo: repo}, nil
}

// Post implements Notifier.
func (n *gitea) Post(ctx context.Context, ev Event) error {
	st, ok, err := statusOf(ctx, n.c, ev)
	if err != nil || !ok {
		return err
	}
	p := n.repo.path
	u, err := joinURL(n.repo.base(), "api", "v1", "repos", p[len(p)-2], p[len(p)-1], "statuses", st.sha)
	if err != nil {
		return err
	}
	body := map[string]string{"state": [...]string{"success", "failure", "pending"}[st.state], "context": st.id, "description": st.description}
	_, err = n.send(ctx, request{url: u, body: body, header: map[string]string{"Authorization": "token " + n.c.Token}})
	return err
}

// bitbucketStates are the build states of Bitbucket Cloud and Server.
var bitbucketStates = [...]string{"SUCCESSFUL", "FAILED", "INPROGRESS"}

// bitbucket writes Bitbucket Cloud build statuses; the token is "<username>:<app password>".
type bitbucket struct {
	client
	repo               repository
	username, password string
}

func newBitbucket(c *Config, h *http.Client) (Notifier, error) {
	user, pass, ok := strings.Cut(c.Token, ":")
	if !ok || user == "" || pass == "" {
		return nil, errors.New("bitbucket provider needs a 'token' of the form <username>:<app password> in the secret of spec.secretRef")
	}
	repo, err := parseRepository(c.Address, 2)
	if err != nil {
		return nil, err
	}
	return &bitbucket{client: client{c, h}, repo: repo, username: user, password: pass}, nil
}

// Post implements Notifier.
func (n *bitbucket) Post(ctx context.Context, ev Event) error {
	st, ok, err := statusOf(ctx, n.c, ev)
	if err != nil || !ok {
		return err
	}
	api := n.repo.base()
	if n.repo.host == "bitbucket.org" {
		api = "https://api.bitbucket.org"
	}
	u, err := joinURL(api, "2.0", "repositories", n.repo.path[0], n.repo.path[1], "commit", st.sha, "statuses", "build")
	if err != nil {
		return err
	}
	body := map[string]string{"state": bitbucketStates[st.state], "key": bitbucketKey(st.id), "name": st.id,
		"url": n.c.Address, "description": st.description}
	_, err = n.send(ctx, request{url: u, body: body, user: n.username, password: n.password})
	return err
}

// bitbucketServer writes Bitbucket Server and Data Center build statuses; the address is the
// repository's HTTPS clone URL (…/scm/<project>/<repo>.git).
type bitbucketServer struct {
	client
	api               string
	project, repoSlug string
}

func newBitbucketServer(c *Config, h *http.Client) (Notifier, error) {
	if c.Token == "" && (c.Username == "" || c.Password == "") {
		return nil, errors.New("bitbucketserver provider needs a 'token', or a username and a 'password', in the secret of spec.secretRef")
	}
	repo, err := parseRepository(c.Address, 3)
	if err != nil {
		return nil, err
	}
	p := repo.path
	scm := -1
	for i, s := range p {
		if s == "scm" {
			scm = i
		}
	}
	if scm < 0 || scm+3 != len(p) {
		return nil, errors.New("bitbucketserver provider address must be the repository's HTTPS clone URL (…/scm/<project>/<repository>.git)")
	}
	api, err := joinURL(repo.base(), append(append([]string{}, p[:scm]...), "rest", "api", "latest")...)
	if err != nil {
		return nil, err
	}
	return &bitbucketServer{client: client{c, h}, api: api, project: p[scm+1], repoSlug: p[scm+2]}, nil
}

// Post implements Notifier.
func (n *bitbucketServer) Post(ctx context.Context, ev Event) error {
	st, ok, err := statusOf(ctx, n.c, ev)
	if err != nil || !ok {
		return err
	}
	u, err := joinURL(n.api, "projects", n.project, "repos", n.repoSlug, "commits", st.sha, "builds")
	if err != nil {
		return err
	}
	body := map[string]string{"state": bitbucketStates[st.state], "key": st.id, "name": st.id, "url": n.c.Address, "description": st.description}
	r := request{url: u, body: body}
	if n.c.Token != "" {
		r.header = map[string]string{"Authorization": "Bearer " + n.c.Token}
	} else {
		r.user, r.password = n.c.Username, n.c.Password
	}
	_, err = n.send(ctx, r)
	return err
}

// azureDevOps writes Azure DevOps commit statuses; the address is
// https://dev.azure.com/<organization>/<project>/_git/<repository>. It authenticates with
// the Secret's personal access token, or with an Entra ID token of the Azure identity of
// spec.serviceAccountName (feature gate ObjectLevelWorkloadIdentity), not both.
type azureDevOps struct {
	client
	repo repository
}

func newAzureDevOps(c *Config, h *http.Client) (Notifier, error) {
	if err := staticCredential(c); err != nil {
		return nil, err
	}
	if err := c.need(needs{token: c.Identity == nil}); err != nil {
		return nil, err
	}
	repo, err := parseRepository(c.Address, 4)
	if err != nil {
		return nil, err
	}
	if repo.path[len(repo.path)-2] != "_git" {
		return nil, errors.New("azuredevops provider address must be https://<host>/<organization>/<project>/_git/<repository>")
	}
	return &azureDevOps{client: client{c, h}, repo: repo}, nil
}

// Post implements Notifier.
func (n *azureDevOps) Post(ctx context.Context, ev Event) error {
	st, ok, err := statusOf(ctx, n.c, ev)
	if err != nil || !ok {
		return err
	}
	p := n.repo.path
	elems := append(append([]string{}, p[:len(p)-2]...), "_apis", "git", "repositories", p[len(p)-1], "commits", st.sha, "statuses")
	u, err := joinURL(n.repo.base(), elems...)
	if err != nil {
		return err
	}
	body := map[string]any{
		"state":       [...]string{"succeeded", "failed", "pending"}[st.state],
		"description": st.description,
		"context":     map[string]string{"genre": "fluxcd", "name": st.id},
	}
	r := request{url: u + "?api-version=6.0", body: body, user: "pat", password: n.c.Token}
	if n.c.Identity != nil {
		tok, err := n.c.Identity.AzureToken(ctx, azureDevOpsScope)
		if err != nil {
			return err
		}
		r.user, r.password, r.header = "", "", map[string]string{"Authorization": "Bearer " + tok}
	}
	_, err = n.send(ctx, r)
	return err
}
