package notifier

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/ferry-gitops/ferry/shared/runtime/events"
)

// The change request comment types run against a local forge that keeps the comments of
// request 7 and serves them as the forge's REST API does (paths, authentication, the author
// field of its comments).

const (
	// botLogin is the user the tests' tokens belong to.
	botLogin = "ferry-bot"
	// crUID is the Provider UID of the change request tests.
	crUID = "5b1c2d3e-aaaa-bbbb-cccc-ddddeeeeffff"
)

// forgeAPI describes one forge's comment API.
type forgeAPI struct {
	typ string
	// cfg is the Provider's settings with the forge at u.
	cfg  func(u string) Config
	auth func(r *http.Request) error
	// user is the path of the authenticated user; userAnswer its answer.
	user, userAnswer string
	// comments is the path that lists and creates request 7's comments; commentPrefix is
	// followed by a comment ID in the path that edits it, with the method edit.
	comments, commentPrefix, edit string
	// author is the field of a listed comment naming its author, and the key of the name.
	author, authorKey string
	// paged: the list takes page and per_page.
	paged  bool
	marker string
}

var forgeAPIs = []forgeAPI{
	{
		typ: "githubpullrequestcomment",
		cfg: func(u string) Config {
			return Config{Type: "githubpullrequestcomment", Address: u + "/org/app.git", Token: "ghp_x", ProviderUID: crUID}
		},
		auth: func(r *http.Request) error {
			return expect(r.Header.Get("Authorization") == "Bearer ghp_x", "no bearer token",
				r.Header.Get("Accept") == "application/vnd.github+json", "Accept is not GitHub's media type")
		},
		user: "/api/v3/user", userAnswer: `{"login":"` + botLogin + `","id":1}`,
		comments: "/api/v3/repos/org/app/issues/7/comments", commentPrefix: "/api/v3/repos/org/app/issues/comments/", edit: http.MethodPatch,
		author: "user", authorKey: "login", paged: true, marker: "flux-pr-comment-key",
	},
	{
		typ: "gitlabmergerequestcomment",
		cfg: func(u string) Config {
			return Config{Type: "gitlabmergerequestcomment", Address: u + "/group/sub/app", Token: "glpat", ProviderUID: crUID}
		},
		auth: func(r *http.Request) error {
			return expect(r.Header.Get("PRIVATE-TOKEN") == "glpat", "no PRIVATE-TOKEN")
		},
		user: "/api/v4/user", userAnswer: `{"id":1,"username":"` + botLogin + `"}`,
		comments:      "/api/v4/projects/group%2Fsub%2Fapp/merge_requests/7/notes",
		commentPrefix: "/api/v4/projects/group%2Fsub%2Fapp/merge_requests/7/notes/", edit: http.MethodPut,
		author: "author", authorKey: "username", paged: true, marker: "flux-mr-comment-key",
	},
	{
		typ: "giteapullrequestcomment",
		cfg: func(u string) Config {
			return Config{Type: "giteapullrequestcomment", Address: u + "/org/app", Token: "tea", ProviderUID: crUID}
		},
		auth: func(r *http.Request) error {
			return expect(r.Header.Get("Authorization") == "token tea", "Authorization is not 'token <token>'")
		},
		user: "/api/v1/user", userAnswer: `{"id":1,"login":"` + botLogin + `"}`,
		comments: "/api/v1/repos/org/app/issues/7/comments", commentPrefix: "/api/v1/repos/org/app/issues/comments/", edit: http.MethodPatch,
		author: "user", authorKey: "login", marker: "flux-pr-comment-key",
	},
}

// fakeComment is a comment the fake forge keeps.
type fakeComment struct {
	id           int64
	author, body string
}

// fakeForge is a forge holding the comments of one request.
type fakeForge struct {
	api      forgeAPI
	mu       sync.Mutex
	comments []fakeComment
}

// snapshot returns the comments.
func (f *fakeForge) snapshot() []fakeComment {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]fakeComment(nil), f.comments...)
}

// serve answers one request as the forge would.
func (f *fakeForge) serve(r *http.Request, body []byte) (int, string, error) {
	if err := f.api.auth(r); err != nil {
		return 0, "", err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	p := r.URL.EscapedPath()
	switch {
	case r.Method == http.MethodGet && p == f.api.user:
		return http.StatusOK, f.api.userAnswer, nil
	case r.Method == http.MethodGet && p == f.api.comments:
		if f.api.paged && (r.URL.Query().Get("per_page") != "100" || r.URL.Query().Get("page") != "1") {
			return 0, "", fmt.Errorf("list query %s, want page 1 of 100", r.URL.RawQuery)
		}
		list := []obj{}
		for _, c := range f.comments {
			list = append(list, obj{"id": c.id, "body": c.body, f.api.author: obj{f.api.authorKey: c.author}})
		}
		out, _ := json.Marshal(list)
		return http.StatusOK, string(out), nil
	case r.Method == http.MethodPost && p == f.api.comments:
		var in obj
		if err := jsonBody(r, body, &in); err != nil {
			return 0, "", err
		}
		c := fakeComment{id: int64(100 + len(f.comments)), author: botLogin, body: str(in, "body")}
		f.comments = append(f.comments, c)
		return http.StatusCreated, fmt.Sprintf(`{"id":%d}`, c.id), nil
	case r.Method == f.api.edit && strings.HasPrefix(p, f.api.commentPrefix):
		id, err := strconv.ParseInt(strings.TrimPrefix(p, f.api.commentPrefix), 10, 64)
		if err != nil {
			return 0, "", fmt.Errorf("edit path %s", p)
		}
		var in obj
		if err := jsonBody(r, body, &in); err != nil {
			return 0, "", err
		}
		for i, c := range f.comments {
			if c.id == id {
				if c.author != botLogin {
					return 0, "", fmt.Errorf("comment %d of %s edited", id, c.author)
				}
				f.comments[i].body = str(in, "body")
				return http.StatusOK, fmt.Sprintf(`{"id":%d}`, id), nil
			}
		}
		return 0, "", fmt.Errorf("no comment %d", id)
	}
	return 0, "", fmt.Errorf("unexpected request %s %s", r.Method, p)
}

// prEvent is the sample event about pull request 7.
func prEvent(severity, message string) Event {
	ev := sampleEvent(severity)
	ev.Message = message
	ev.Metadata[ChangeRequestKey] = "7"
	return ev
}

// TestChangeRequestComments: the first event about a pull or merge request comments on it;
// later events of the same object rewrite that comment (found by its hidden marker among the
// comments of the token's user) instead of adding one; a comment of someone else that holds
// the marker is left alone.
func TestChangeRequestComments(t *testing.T) {
	for _, api := range forgeAPIs {
		t.Run(api.typ, func(t *testing.T) {
			marker := fmt.Sprintf("<!-- %s:%s/Kustomization/flux-system/apps -->", api.marker, crUID)
			f := &fakeForge{api: api, comments: []fakeComment{
				{id: 1, author: "someone", body: "quoting " + marker},
				{id: 2, author: botLogin, body: "an unrelated comment"},
			}}
			s := newService(t, f.serve)
			n, err := New(api.cfg(s.URL))
			if err != nil {
				t.Fatalf("New: %v", err)
			}
			postTo(t, s, n, prEvent("info", "Helm install succeeded"), 3) // user, list, create
			got := f.snapshot()
			if len(got) != 3 || got[0].body != "quoting "+marker || got[1].body != "an unrelated comment" {
				t.Fatalf("comments after the first event: %+v", got)
			}
			first := got[2].body
			for _, want := range []string{marker, "Kustomization/apps.flux-system", "Helm install succeeded", "prod cluster"} {
				if !strings.Contains(first, want) {
					t.Errorf("comment %q does not hold %q", first, want)
				}
			}
			if strings.Contains(first, ChangeRequestKey) {
				t.Errorf("comment %q lists the request number", first)
			}

			postTo(t, s, n, prEvent("error", "Helm upgrade failed"), 2) // list, edit
			got = f.snapshot()
			if len(got) != 3 || !strings.Contains(got[2].body, "Helm upgrade failed") || !strings.HasPrefix(got[2].body, marker) {
				t.Fatalf("comments after the second event: %+v", got)
			}
			postTo(t, s, n, prEvent("error", "Helm upgrade failed"), 1) // list: nothing changed

			other := prEvent("info", "ready")
			other.InvolvedObject.Name = "other"
			postTo(t, s, n, other, 2) // list, create
			if got := f.snapshot(); len(got) != 4 {
				t.Fatalf("another object's event did not get its own comment: %+v", got)
			}
		})
	}
}

// TestChangeRequestCommentTakesOverFluxComment: a comment Flux wrote for the same Provider
// and object is updated, not duplicated.
func TestChangeRequestCommentTakesOverFluxComment(t *testing.T) {
	api := forgeAPIs[0]
	f := &fakeForge{api: api, comments: []fakeComment{{id: 3, author: botLogin,
		body: "<!-- flux-pr-comment-key:" + crUID + "/Kustomization/flux-system/apps -->\n\n## Flux Status\n\nold"}}}
	s := newService(t, f.serve)
	post(t, s, api.cfg(s.URL), prEvent("info", "reconciled"), 3) // user, list, edit
	if got := f.snapshot(); len(got) != 1 || !strings.Contains(got[0].body, "reconciled") {
		t.Fatalf("comments: %+v", got)
	}
}

// TestChangeRequestCommentSkips: an event that names no request sends nothing; a request
// that is not a number fails for good.
func TestChangeRequestCommentSkips(t *testing.T) {
	for _, api := range forgeAPIs {
		t.Run(api.typ, func(t *testing.T) {
			s := newService(t, (&fakeForge{api: api}).serve)
			post(t, s, api.cfg(s.URL), sampleEvent(events.SeverityInfo), 0)

			n, err := New(api.cfg(s.URL))
			if err != nil {
				t.Fatal(err)
			}
			ev := prEvent("info", "x")
			ev.Metadata[ChangeRequestKey] = "feature-branch"
			if err := n.Post(t.Context(), ev); err == nil || Retryable(err) || !strings.Contains(err.Error(), ChangeRequestKey) {
				t.Fatalf("Post = %v, want a permanent error naming %s", err, ChangeRequestKey)
			}
			if v := s.verdicts(); len(v) != 0 {
				t.Fatalf("%d requests sent for a bad request number", len(v))
			}
		})
	}
}

// TestChangeRequestCommentSettings: a missing token or repository is named when the Provider
// is built, never its secret value.
func TestChangeRequestCommentSettings(t *testing.T) {
	for _, api := range forgeAPIs {
		t.Run(api.typ, func(t *testing.T) {
			cfg := api.cfg("https://git.example.com")
			noToken := cfg
			noToken.Token = ""
			if _, err := New(noToken); err == nil || !strings.Contains(err.Error(), "'token'") {
				t.Errorf("without a token: %v", err)
			}
			noRepo := cfg
			noRepo.Address = "https://git.example.com/"
			if _, err := New(noRepo); err == nil || strings.Contains(err.Error(), cfg.Token) {
				t.Errorf("without a repository: %v", err)
			}
		})
	}
}
