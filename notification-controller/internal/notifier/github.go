package notifier

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
)

// githubAPI is the REST API root of the repository's server: api.github.com for github.com,
// /api/v3 on a GitHub Enterprise Server.
func githubAPI(r repository) string {
	if r.host == "github.com" {
		return "https://api.github.com"
	}
	return r.base() + "/api/v3"
}

// githubHeaders are the headers of a GitHub REST API request.
func githubHeaders(token string) map[string]string {
	return map[string]string{
		"Authorization":        "Bearer " + token,
		"Accept":               "application/vnd.github+json",
		"X-GitHub-Api-Version": "2022-11-28",
	}
}

// github writes GitHub commit statuses, skipping one that would repeat the latest status of
// the same context.
type github struct {
	client
	repo repository
}

func newGitHub(c *Config, h *http.Client) (Notifier, error) {
	if err := c.need(needs{token: true}); err != nil {
		return nil, err
	}
	repo, err := parseRepository(c.Address, 2)
	if err != nil {
		return nil, err
	}
	return &github{client: client{c, h}, repo: repo}, nil
}

// githubStatus is a commit status as the REST API reads and writes it.
type githubStatus struct {
	State       string `json:"state"`
	Context     string `json:"context"`
	Description string `json:"description"`
}

// Post implements Notifier.
func (n *github) Post(ctx context.Context, ev Event) error {
	st, ok, err := statusOf(ctx, n.c, ev)
	if err != nil || !ok {
		return err
	}
	want := githubStatus{State: [...]string{"success", "failure", "pending"}[st.state], Context: st.id, Description: st.description}
	owner, name := n.repo.path[0], n.repo.path[1]
	api := githubAPI(n.repo)
	if latest, err := n.latest(ctx, api, owner, name, st); err == nil && latest == want {
		return nil
	}
	u, err := joinURL(api, "repos", owner, name, "statuses", st.sha)
	if err != nil {
		return err
	}
	_, err = n.send(ctx, request{url: u, body: want, header: githubHeaders(n.c.Token)})
	return err
}

// latest returns the newest status of the commit with the same context (statuses come
// newest first).
func (n *github) latest(ctx context.Context, api, owner, name string, st commitStatus) (githubStatus, error) {
	u, err := joinURL(api, "repos", owner, name, "commits", st.sha, "statuses")
	if err != nil {
		return githubStatus{}, err
	}
	answer, err := n.send(ctx, request{method: http.MethodGet, url: u + "?" + url.Values{"per_page": {"100"}}.Encode(),
		header: githubHeaders(n.c.Token)})
	if err != nil {
		return githubStatus{}, err
	}
	var list []githubStatus
	if err := json.Unmarshal(answer, &list); err != nil {
		return githubStatus{}, err
	}
	for _, s := range list {
		if s.Context == st.id {
			return s, nil
		}
	}
	return githubStatus{}, nil
}
