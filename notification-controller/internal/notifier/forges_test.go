package notifier

import (
	"context"
	"errors"
	"net/http"
	"testing"

	"github.com/ferry-gitops/ferry/shared/runtime/events"
)

// statusID of the sample events with the Provider UID of the tests.
const wantID = "kustomization/apps/6d2f7f0e"

// TestCommitStatusProviders writes the commit status of a failed build through each commit
// status type to a local server that checks the request as the forge's API would.
func TestCommitStatusProviders(t *testing.T) {
	uid := "6d2f7f0e-aaaa-bbbb-cccc-ddddeeeeffff"
	tests := []struct {
		name     string
		cfg      func(url string) Config
		check    check
		requests int
	}{
		{name: "github", cfg: func(u string) Config {
			return Config{Type: "github", Address: u + "/org/app.git", Token: "ghp_x", ProviderUID: uid}
		}, check: checkGitHub(nil), requests: 2},
		{name: "gitlab", cfg: func(u string) Config {
			return Config{Type: "gitlab", Address: u + "/group/sub/app", Token: "glpat", ProviderUID: uid}
		}, check: checkGitLab, requests: 1},
		{name: "gitea", cfg: func(u string) Config {
			return Config{Type: "gitea", Address: u + "/org/app", Token: "tea", ProviderUID: uid}
		}, check: checkGitea, requests: 1},
		{name: "bitbucket", cfg: func(u string) Config {
			return Config{Type: "bitbucket", Address: u + "/team/app", Token: "bob:app-password", ProviderUID: uid}
		}, check: checkBitbucket, requests: 1},
		{name: "bitbucketserver token", cfg: func(u string) Config {
			return Config{Type: "bitbucketserver", Address: u + "/bitbucket/scm/PRJ/app.git", Token: "bbs", ProviderUID: uid}
		}, check: checkBitbucketServer("Bearer bbs", ""), requests: 1},
		{name: "bitbucketserver basic", cfg: func(u string) Config {
			return Config{Type: "bitbucketserver", Address: u + "/bitbucket/scm/PRJ/app.git", Username: "bob", Password: "pw", ProviderUID: uid}
		}, check: checkBitbucketServer("", "bob"), requests: 1},
		{name: "azuredevops", cfg: func(u string) Config {
			return Config{Type: "azuredevops", Address: u + "/org/project/_git/app", Token: "pat", ProviderUID: uid}
		}, check: checkAzureDevOps, requests: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newService(t, tt.check)
			post(t, s, tt.cfg(s.URL), sampleEvent(events.SeverityError), tt.requests)
		})
	}
}

// TestGitHubSkipsRepeatedStatus: a status that repeats the commit's latest one of the same
// context is not written again.
func TestGitHubSkipsRepeatedStatus(t *testing.T) {
	existing := `[{"state":"failure","context":"` + wantID + `","description":"kustomize build failed: accumulating resources"}]`
	s := newService(t, checkGitHub(&existing))
	post(t, s, Config{Type: "github", Address: s.URL + "/org/app", Token: "ghp_x", ProviderUID: "6d2f7f0e-a"}, sampleEvent("error"), 1)
}

func checkGitHub(existing *string) check {
	return func(r *http.Request, body []byte) (int, string, error) {
		auth := expect(r.Header.Get("Authorization") == "Bearer ghp_x", "no bearer token",
			r.Header.Get("Accept") == "application/vnd.github+json", "Accept is not GitHub's media type")
		if r.Method == http.MethodGet {
			answer := "[]"
			if existing != nil {
				answer = *existing
			}
			return http.StatusOK, answer, errors.Join(auth, expect(
				r.URL.Path == "/api/v3/repos/org/app/commits/"+sha+"/statuses", "list path "+r.URL.Path))
		}
		var p obj
		if err := jsonBody(r, body, &p); err != nil {
			return 0, "", err
		}
		return http.StatusCreated, `{"id":1}`, errors.Join(auth, expect(
			r.URL.Path == "/api/v3/repos/org/app/statuses/"+sha, "path "+r.URL.Path,
			str(p, "state") == "failure", "state "+str(p, "state"),
			str(p, "context") == wantID, "context "+str(p, "context"),
			len(str(p, "description")) <= 140, "description over 140 characters",
		))
	}
}

func checkGitLab(r *http.Request, body []byte) (int, string, error) {
	var p obj
	if err := jsonBody(r, body, &p); err != nil {
		return 0, "", err
	}
	return http.StatusCreated, `{"id":1}`, expect(
		r.URL.EscapedPath() == "/api/v4/projects/group%2Fsub%2Fapp/statuses/"+sha, "path "+r.URL.EscapedPath(),
		r.Header.Get("PRIVATE-TOKEN") == "glpat", "no PRIVATE-TOKEN",
		str(p, "state") == "failed" && str(p, "name") == wantID, "state or name wrong",
	)
}

func checkGitea(r *http.Request, body []byte) (int, string, error) {
	var p obj
	if err := jsonBody(r, body, &p); err != nil {
		return 0, "", err
	}
	return http.StatusCreated, `{"id":1}`, expect(
		r.URL.Path == "/api/v1/repos/org/app/statuses/"+sha, "path "+r.URL.Path,
		r.Header.Get("Authorization") == "token tea", "Authorization is not 'token <token>'",
		str(p, "state") == "failure" && str(p, "context") == wantID, "state or context wrong",
	)
}

func checkBitbucket(r *http.Request, body []byte) (int, string, error) {
	var p obj
	if err := jsonBody(r, body, &p); err != nil {
		return 0, "", err
	}
	user, pass, _ := r.BasicAuth()
	return http.StatusCreated, `{"key":"k"}`, expect(
		r.URL.Path == "/2.0/repositories/team/app/commit/"+sha+"/statuses/build", "path "+r.URL.Path,
		user == "bob" && pass == "app-password", "basic authentication is not the app password",
		str(p, "state") == "FAILED" && str(p, "key") == wantID && str(p, "url") != "", "state, key or url wrong",
		len(str(p, "key")) <= 40, "key over 40 characters",
	)
}

func checkBitbucketServer(bearer, user string) check {
	return func(r *http.Request, body []byte) (int, string, error) {
		var p obj
		if err := jsonBody(r, body, &p); err != nil {
			return 0, "", err
		}
		u, _, _ := r.BasicAuth()
		return http.StatusNoContent, "", expect(
			r.URL.Path == "/bitbucket/rest/api/latest/projects/PRJ/repos/app/commits/"+sha+"/builds", "path "+r.URL.Path,
			bearer == "" || r.Header.Get("Authorization") == bearer, "no bearer token",
			user == "" || u == user, "no basic authentication",
			str(p, "state") == "FAILED" && str(p, "key") == wantID, "state or key wrong",
		)
	}
}

func checkAzureDevOps(r *http.Request, body []byte) (int, string, error) {
	var p obj
	if err := jsonBody(r, body, &p); err != nil {
		return 0, "", err
	}
	_, pat, _ := r.BasicAuth()
	return http.StatusCreated, `{"id":1}`, expect(
		r.URL.Path == "/org/project/_apis/git/repositories/app/commits/"+sha+"/statuses", "path "+r.URL.Path,
		r.URL.Query().Get("api-version") != "", "no api-version",
		pat == "pat", "the token is not the basic authentication password",
		str(p, "state") == "failed" && str(p, "context", "genre") == "fluxcd" && str(p, "context", "name") == wantID, "state or context wrong",
	)
}

// TestCommitSHA reads the commit from every revision format Flux writes.
func TestCommitSHA(t *testing.T) {
	tests := []struct {
		rev, want string
		fail      bool
	}{
		{rev: "main@sha1:" + sha, want: sha},
		{rev: "sha1:" + sha, want: sha},
		{rev: "main/" + sha, want: sha},
		{rev: "refs/heads/feature/x@sha1:" + sha, want: sha},
		{rev: sha, want: sha},
		{rev: "v1.2.3", fail: true},
		{rev: "main@sha1:not-a-sha", fail: true},
	}
	for _, tt := range tests {
		got, err := CommitSHA(tt.rev)
		if (err != nil) != tt.fail || got != tt.want {
			t.Errorf("CommitSHA(%q) = %q, %v", tt.rev, got, err)
		}
	}
}

// TestCommitStatusWithoutRevision: an event that names no revision writes no status.
func TestCommitStatusWithoutRevision(t *testing.T) {
	s := newService(t, func(*http.Request, []byte) (int, string, error) { return 500, "", errors.New("no request expected") })
	ev := sampleEvent("info")
	delete(ev.Metadata, RevisionKey)
	post(t, s, Config{Type: "github", Address: s.URL + "/org/app", Token: "x"}, ev, 0)
}

// TestCommitStatusExpr: a custom identifier replaces the default one.
func TestCommitStatusExpr(t *testing.T) {
	cfg := &Config{StatusID: func(_ context.Context, ev Event) (string, error) { return "prod/" + ev.InvolvedObject.Name, nil }}
	st, ok, err := statusOf(t.Context(), cfg, sampleEvent("info"))
	if err != nil || !ok || st.id != "prod/apps" || st.state != stateSuccess {
		t.Fatalf("statusOf = %+v, %v, %v", st, ok, err)
	}
}
