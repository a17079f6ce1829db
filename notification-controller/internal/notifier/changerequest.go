package notifier

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
)

// ChangeRequestKey holds the number of the pull or merge request an event is about (the
// object's annotation event.toolkit.fluxcd.io/change_request).
const ChangeRequestKey = "change_request"

// Markers that identify the comment of one Provider and object, hidden in the comment as an
// HTML comment. They are the ones Flux writes, so that Ferry, taking over a cluster's
// Providers, updates the comments Flux wrote instead of adding its own.
const (
	pullRequestMarker  = "flux-pr-comment-key"
	mergeRequestMarker = "flux-mr-comment-key"
)

// maxCommentPages bounds how many pages of 100 comments are searched for the comment to
// update; past them a new comment is written.
const maxCommentPages = 10

// forgeComment is a comment on a pull or merge request as a forge lists it.
type forgeComment struct {
	id           int64
	author, body string
}

// commentForge is what the change request comment types need of a forge's REST API.
type commentForge interface {
	// self returns the name of the token's user, the author of the comments to update.
	self(ctx context.Context) (string, error)
	// list returns a page (from 1) of the request's comments, oldest first, and whether
	// there may be more.
	list(ctx context.Context, number int64, page int) (comments []forgeComment, more bool, err error)
	create(ctx context.Context, number int64, body string) error
	update(ctx context.Context, number, id int64, body string) error
}

// changeRequestComment keeps one comment per Provider and object on the pull or merge request
// an event names (ChangeRequestKey): the first event writes it, later ones rewrite it. Events
// that name no request are not sent. An object's events come one at a time (the dispatcher
// queues them in order), so two events never race to write the same comment.
type changeRequestComment struct {
	forge  commentForge
	marker string
	uid    string

	mu    sync.Mutex
	login string
}

// Post implements Notifier.
func (n *changeRequestComment) Post(ctx context.Context, ev Event) error {
	number, ok, err := changeRequestOf(ev)
	if err != nil || !ok {
		return err
	}
	login, err := n.self(ctx)
	if err != nil {
		return err
	}
	marker := fmt.Sprintf("<!-- %s:%s/%s/%s/%s -->", n.marker, n.uid,
		ev.InvolvedObject.Kind, ev.InvolvedObject.Namespace, ev.InvolvedObject.Name)
	body := commentBody(marker, ev)
	for page := 1; page <= maxCommentPages; page++ {
		comments, more, err := n.forge.list(ctx, number, page)
		if err != nil {
			return fmt.Errorf("failed to list the comments of request %d: %w", number, err)
		}
		for _, c := range comments {
			if c.author == login && strings.Contains(c.body, marker) {
				if c.body == body {
					return nil
				}
				if err := n.forge.update(ctx, number, c.id, body); err != nil {
					return fmt.Errorf("failed to update comment %d of request %d: %w", c.id, number, err)
				}
				return nil
			}
		}
		if !more {
			break
		}
	}
	if err := n.forge.create(ctx, number, body); err != nil {
		return fmt.Errorf("failed to comment on request %d: %w", number, err)
	}
	return nil
}

// self returns the token's user, asking the forge once.
func (n *changeRequestComment) self(ctx context.Context) (string, error) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.login != "" {
		return n.login, nil
	}
	login, err := n.forge.self(ctx)
	if err != nil {
		return "", fmt.Errorf("failed to get the user of the token: %w", err)
	}
	if login == "" {
		return "", fmt.Errorf("failed to get the user of the token: the answer names none: %w", errPermanent)
	}
	n.login = login
	return login, nil
}

// changeRequestOf returns the pull or merge request number ev names, ok=false when it names
// none.
func changeRequestOf(ev Event) (number int64, ok bool, err error) {
	v, found := ev.Metadata[ChangeRequestKey]
	if !found || v == "" {
		return 0, false, nil
	}
	number, err = strconv.ParseInt(strings.TrimPrefix(v, "#"), 10, 64)
	if err != nil || number <= 0 {
		return 0, false, fmt.Errorf("metadata %s %q is not a pull or merge request number: %w", ChangeRequestKey, v, errPermanent)
	}
	return number, true, nil
}

// commentBody renders the comment of ev in Markdown, under the hidden marker that finds it
// again; the request number is left out of the metadata listed.
func commentBody(marker string, ev Event) string {
	icon := "✅"
	if isError(ev) {
		icon = "❌"
	}
	ev.Metadata = maps.Clone(ev.Metadata)
	delete(ev.Metadata, ChangeRequestKey)
	return marker + "\n\n" + icon + " " + markdownText(ev) + "\n"
}

// changeRequestNeeds checks the settings every comment type needs.
func changeRequestNeeds(c *Config) error {
	if err := c.need(needs{token: true}); err != nil {
		return err
	}
	if c.ProviderUID == "" {
		return fmt.Errorf("%s provider needs the Provider's UID", c.Type)
	}
	return nil
}

// githubComments writes GitHub pull request comments through the issue comments API.
type githubComments struct {
	client
	api, owner, name string
}

func newGitHubPullRequestComment(c *Config, h *http.Client) (Notifier, error) {
	if err := changeRequestNeeds(c); err != nil {
		return nil, err
	}
	repo, err := parseRepository(c.Address, 2)
	if err != nil {
		return nil, err
	}
	f := &githubComments{client: client{c, h}, api: githubAPI(repo), owner: repo.path[0], name: repo.path[1]}
	return &changeRequestComment{forge: f, marker: pullRequestMarker, uid: c.ProviderUID}, nil
}

func (f *githubComments) call(ctx context.Context, method string, body any, out any, query url.Values, elem ...string) error {
	return callJSON(ctx, f.client, method, githubHeaders(f.c.Token), body, out, query, f.api, elem...)
}

func (f *githubComments) self(ctx context.Context) (string, error) {
	var u struct {
		Login string `json:"login"`
	}
	err := f.call(ctx, http.MethodGet, nil, &u, nil, "user")
	return u.Login, err
}

func (f *githubComments) list(ctx context.Context, number int64, page int) ([]forgeComment, bool, error) {
	var list []struct {
		ID   int64  `json:"id"`
		Body string `json:"body"`
		User struct {
			Login string `json:"login"`
		} `json:"user"`
	}
	q := url.Values{"per_page": {"100"}, "page": {strconv.Itoa(page)}}
	if err := f.call(ctx, http.MethodGet, nil, &list, q, "repos", f.owner, f.name, "issues", fmtID(number), "comments"); err != nil {
		return nil, false, err
	}
	out := make([]forgeComment, len(list))
	for i, c := range list {
		out[i] = forgeComment{id: c.ID, author: c.User.Login, body: c.Body}
	}
	return out, len(list) == 100, nil
}

func (f *githubComments) create(ctx context.Context, number int64, body string) error {
	return f.call(ctx, http.MethodPost, map[string]string{"body": body}, nil, nil, "repos", f.owner, f.name, "issues", fmtID(number), "comments")
}

func (f *githubComments) update(ctx context.Context, _, id int64, body string) error {
	return f.call(ctx, http.MethodPatch, map[string]string{"body": body}, nil, nil, "repos", f.owner, f.name, "issues", "comments", fmtID(id))
}

// gitlabNotes writes GitLab merge request notes through the v4 API.
type gitlabNotes struct {
	client
	api, project string
}

func newGitLabMergeRequestComment(c *Config, h *http.Client) (Notifier, error) {
	if err := changeRequestNeeds(c); err != nil {
		return nil, err
	}
	repo, err := parseRepository(c.Address, 1)
	if err != nil {
		return nil, err
	}
	f := &gitlabNotes{client: client{c, h}, api: repo.base() + "/api/v4", project: url.PathEscape(strings.Join(repo.path, "/"))}
	return &changeRequestComment{forge: f, marker: mergeRequestMarker, uid: c.ProviderUID}, nil
}

func (f *gitlabNotes) call(ctx context.Context, method string, body any, out any, query url.Values, elem ...string) error {
	return callJSON(ctx, f.client, method, map[string]string{"PRIVATE-TOKEN": f.c.Token}, body, out, query, f.api, elem...)
}

func (f *gitlabNotes) self(ctx context.Context) (string, error) {
	var u struct {
		Username string `json:"username"`
	}
	err := f.call(ctx, http.MethodGet, nil, &u, nil, "user")
	return u.Username, err
}

func (f *gitlabNotes) list(ctx context.Context, number int64, page int) ([]forgeComment, bool, error) {
	var list []struct {
		ID     int64  `json:"id"`
		Body   string `json:"body"`
		Author struct {
			Username string `json:"username"`
		} `json:"author"`
	}
	q := url.Values{"sort": {"asc"}, "order_by": {"created_at"}, "per_page": {"100"}, "page": {strconv.Itoa(page)}}
	if err := f.call(ctx, http.MethodGet, nil, &list, q, "projects", f.project, "merge_requests", fmtID(number), "notes"); err != nil {
		return nil, false, err
	}
	out := make([]forgeComment, len(list))
	for i, c := range list {
		out[i] = forgeComment{id: c.ID, author: c.Author.Username, body: c.Body}
	}
	return out, len(list) == 100, nil
}

func (f *gitlabNotes) create(ctx context.Context, number int64, body string) error {
	return f.call(ctx, http.MethodPost, map[string]string{"body": body}, nil, nil, "projects", f.project, "merge_requests", fmtID(number), "notes")
}

func (f *gitlabNotes) update(ctx context.Context, number, id int64, body string) error {
	return f.call(ctx, http.MethodPut, map[string]string{"body": body}, nil, nil, "projects", f.project, "merge_requests", fmtID(number), "notes", fmtID(id))
}

// giteaComments writes Gitea (and Forgejo) pull request comments through the v1 issue
// comments API, which lists all of a request's comments at once.
type giteaComments struct {
	client
	api, owner, name string
}

func newGiteaPullRequestComment(c *Config, h *http.Client) (Notifier, error) {
	if err := changeRequestNeeds(c); err != nil {
		return nil, err
	}
	repo, err := parseRepository(c.Address, 2)
	if err != nil {
		return nil, err
	}
	p := repo.path
	f := &giteaComments{client: client{c, h}, api: repo.base() + "/api/v1", owner: p[len(p)-2], name: p[len(p)-1]}
	return &changeRequestComment{forge: f, marker: pullRequestMarker, uid: c.ProviderUID}, nil
}

func (f *giteaComments) call(ctx context.Context, method string, body any, out any, elem ...string) error {
	return callJSON(ctx, f.client, method, map[string]string{"Authorization": "token " + f.c.Token}, body, out, nil, f.api, elem...)
}

func (f *giteaComments) self(ctx context.Context) (string, error) {
	var u struct {
		Login string `json:"login"`
	}
	err := f.call(ctx, http.MethodGet, nil, &u, "user")
	return u.Login, err
}

func (f *giteaComments) list(ctx context.Context, number int64, _ int) ([]forgeComment, bool, error) {
	var list []struct {
		ID   int64  `json:"id"`
		Body string `json:"body"`
		User struct {
			Login string `json:"login"`
		} `json:"user"`
	}
	if err := f.call(ctx, http.MethodGet, nil, &list, "repos", f.owner, f.name, "issues", fmtID(number), "comments"); err != nil {
		return nil, false, err
	}
	out := make([]forgeComment, len(list))
	for i, c := range list {
		out[i] = forgeComment{id: c.ID, author: c.User.Login, body: c.Body}
	}
	return out, false, nil
}

func (f *giteaComments) create(ctx context.Context, number int64, body string) error {
	return f.call(ctx, http.MethodPost, map[string]string{"body": body}, nil, "repos", f.owner, f.name, "issues", fmtID(number), "comments")
}

func (f *giteaComments) update(ctx context.Context, _, id int64, body string) error {
	return f.call(ctx, http.MethodPatch, map[string]string{"body": body}, nil, "repos", f.owner, f.name, "issues", "comments", fmtID(id))
}

// callJSON sends a JSON request to base joined with the path segments elem (as written in a
// URL: an escaped "/" stays in its segment) and query, and decodes the answer into out when
// out is not nil.
func callJSON(ctx context.Context, n client, method string, header map[string]string, body, out any, query url.Values, base string, elem ...string) error {
	u, err := joinURL(base, elem...)
	if err != nil {
		return err
	}
	if len(query) > 0 {
		u += "?" + query.Encode()
	}
	answer, err := n.send(ctx, request{method: method, url: u, body: body, header: header})
	if err != nil {
		return err
	}
	if out == nil {
		return nil
	}
	if err := json.Unmarshal(answer, out); err != nil {
		return fmt.Errorf("failed to decode the answer: %w: %w", err, errPermanent)
	}
	return nil
}

// fmtID formats a number for a URL path.
func fmtID(n int64) string { return strconv.FormatInt(n, 10) }
