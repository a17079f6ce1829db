package providertest

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

// github serves GitHub's REST API under /api/v3 (GitHub Enterprise Server's prefix).
func (s *Server) github(w http.ResponseWriter, r *http.Request) {
	s.reposAPI(w, r, "/api/v3", "Not Found", githubRepo)
}

// gitea serves Gitea's API under /api/v1, whose repository routes are GitHub's, plus the
// version route its SDK calls first.
func (s *Server) gitea(w http.ResponseWriter, r *http.Request) {
	if r.Method == http.MethodGet && r.URL.Path == "/api/v1/version" {
		writeJSON(w, http.StatusOK, map[string]string{"version": "1.22.0"})
		return
	}
	s.reposAPI(w, r, "/api/v1", "repository not found", giteaRepo)
}

// reposAPI serves the repository routes GitHub and Gitea share under prefix.
func (s *Server) reposAPI(w http.ResponseWriter, r *http.Request, prefix, notFound string, render func(*Server, *Repo) map[string]any) {
	p := strings.Split(strings.Trim(strings.TrimPrefix(r.URL.Path, prefix), "/"), "/")
	switch {
	case r.Method == http.MethodPost && len(p) == 2 && p[0] == "user" && p[1] == "repos":
		s.createRepo(w, r, s.User, render)
	case r.Method == http.MethodPost && len(p) == 3 && p[0] == "orgs" && p[2] == "repos":
		if !s.isOrg(p[1]) {
			writeJSON(w, http.StatusNotFound, map[string]string{"message": notFound})
			return
		}
		s.createRepo(w, r, p[1], render)
	case len(p) >= 3 && p[0] == "repos":
		repo, ok := s.repos[p[1]+"/"+p[2]]
		if !ok {
			writeJSON(w, http.StatusNotFound, map[string]string{"message": notFound})
			return
		}
		s.repoRoutes(w, r, repo, p[3:], render)
	default:
		s.fail(w, "%s has no %s %s", s.Kind, r.Method, r.URL.Path)
	}
}

// repoBody is the body of GitHub's and Gitea's create repository requests.
type repoBody struct {
	Name     string `json:"name"`
	Private  *bool  `json:"private"`
	AutoInit bool   `json:"auto_init"`
}

// createRepo creates the repository of the body for owner and answers 201 with it.
func (s *Server) createRepo(w http.ResponseWriter, r *http.Request, owner string, render func(*Server, *Repo) map[string]any) {
	var b repoBody
	if !s.decode(w, r, &b) {
		return
	}
	if b.Name == "" {
		s.fail(w, "create repository: name is required")
		return
	}
	repo, ok := s.create(owner, b.Name, b.Private != nil && *b.Private)
	if !ok {
		writeJSON(w, http.StatusUnprocessableEntity, map[string]string{"message": "name already exists on this account"})
		return
	}
	writeJSON(w, http.StatusCreated, render(s, repo))
}

// keyBody is the body of GitHub's and Gitea's add deploy key requests.
type keyBody struct {
	Title    string `json:"title"`
	Key      string `json:"key"`
	ReadOnly *bool  `json:"read_only"`
}

// repoRoutes serves GET of the repository and its /keys routes (GitHub and Gitea agree).
func (s *Server) repoRoutes(w http.ResponseWriter, r *http.Request, repo *Repo, rest []string, render func(*Server, *Repo) map[string]any) {
	switch {
	case len(rest) == 0 && r.Method == http.MethodGet:
		writeJSON(w, http.StatusOK, render(s, repo))
	case len(rest) == 1 && rest[0] == "keys" && r.Method == http.MethodGet:
		var out []map[string]any
		for _, k := range repo.Keys {
			out = append(out, map[string]any{"id": k.ID, "title": k.Title, "key": k.Key, "read_only": k.ReadOnly})
		}
		writeJSON(w, http.StatusOK, orEmpty(out))
	case len(rest) == 1 && rest[0] == "keys" && r.Method == http.MethodPost:
		var b keyBody
		if !s.decode(w, r, &b) {
			return
		}
		if b.Title == "" || !strings.HasPrefix(b.Key, "ssh-") && !strings.HasPrefix(b.Key, "ecdsa-") {
			s.fail(w, "add deploy key: title and an SSH public key are required, got %q %q", b.Title, b.Key)
			return
		}
		k, ok := s.addKey(repo, Key{Title: b.Title, Key: strings.TrimSpace(b.Key), ReadOnly: b.ReadOnly == nil || *b.ReadOnly})
		if !ok {
			writeJSON(w, http.StatusUnprocessableEntity, map[string]string{"message": "key is already in use"})
			return
		}
		writeJSON(w, http.StatusCreated, map[string]any{"id": k.ID, "title": k.Title, "key": k.Key, "read_only": k.ReadOnly})
	case len(rest) == 2 && rest[0] == "keys" && r.Method == http.MethodDelete:
		id, _ := strconv.ParseInt(rest[1], 10, 64)
		if !deleteKey(repo, id) {
			writeJSON(w, http.StatusNotFound, map[string]string{"message": "Not Found"})
			return
		}
		w.WriteHeader(http.StatusNoContent)
	default:
		s.fail(w, "no %s %s", r.Method, r.URL.Path)
	}
}

// githubRepo renders a repository as GitHub does (the fields bootstrap reads).
func githubRepo(s *Server, r *Repo) map[string]any {
	clone, ssh := s.urls(r.Owner, r.Name)
	return map[string]any{"name": r.Name, "full_name": r.Owner + "/" + r.Name, "private": r.Private,
		"owner": map[string]any{"login": r.Owner}, "clone_url": clone, "ssh_url": ssh, "default_branch": "main"}
}

// giteaRepo renders a repository as Gitea does.
func giteaRepo(s *Server, r *Repo) map[string]any {
	return githubRepo(s, r)
}

// gitlab serves GitLab's v4 API.
func (s *Server) gitlab(w http.ResponseWriter, r *http.Request) {
	raw := strings.TrimPrefix(r.URL.EscapedPath(), "/api/v4/")
	p := strings.Split(raw, "/")
	switch {
	case r.Method == http.MethodGet && len(p) == 2 && p[0] == "groups":
		if !s.isOrg(p[1]) {
			writeJSON(w, http.StatusNotFound, map[string]string{"message": "404 Group Not Found"})
			return
		}
		writeJSON(w, http.StatusOK, map[string]any{"id": groupID(s, p[1]), "path": p[1], "full_path": p[1]})
	case r.Method == http.MethodPost && len(p) == 1 && p[0] == "projects":
		s.gitlabCreate(w, r)
	case len(p) >= 2 && p[0] == "projects":
		path, err := url.PathUnescape(p[1])
		repo, ok := s.repos[path]
		if err != nil || !strings.Contains(path, "/") || !ok {
			writeJSON(w, http.StatusNotFound, map[string]string{"message": "404 Project Not Found"})
			return
		}
		s.gitlabProject(w, r, repo, p[2:])
	default:
		s.fail(w, "GitLab has no %s %s", r.Method, r.URL.Path)
	}
}

// groupID is the id of the group name: its index among the organizations, from 100.
func groupID(s *Server, name string) int64 {
	for i, o := range s.Orgs {
		if o == name {
			return int64(100 + i)
		}
	}
	return 0
}

// gitlabCreate serves POST /projects.
func (s *Server) gitlabCreate(w http.ResponseWriter, r *http.Request) {
	var b struct {
		Name        string `json:"name"`
		Path        string `json:"path"`
		NamespaceID *int64 `json:"namespace_id"`
		Visibility  string `json:"visibility"`
	}
	if !s.decode(w, r, &b) {
		return
	}
	if b.Name == "" && b.Path == "" {
		s.fail(w, "create project: name or path is required")
		return
	}
	if b.Visibility != "" && b.Visibility != "private" && b.Visibility != "public" && b.Visibility != "internal" {
		s.fail(w, "create project: visibility %q does not have a valid value", b.Visibility)
		return
	}
	owner := s.User
	if b.NamespaceID != nil {
		owner = ""
		for _, o := range s.Orgs {
			if groupID(s, o) == *b.NamespaceID {
				owner = o
			}
		}
		if owner == "" {
			writeJSON(w, http.StatusNotFound, map[string]string{"message": "404 Namespace Not Found"})
			return
		}
	}
	repo, ok := s.create(owner, b.Path, b.Visibility == "private")
	if !ok {
		writeJSON(w, http.StatusBadRequest, map[string]any{"message": map[string]any{"path": []string{"has already been taken"}}})
		return
	}
	writeJSON(w, http.StatusCreated, gitlabProject(s, repo))
}

// gitlabProject serves GET /projects/:id and its /deploy_keys routes.
func (s *Server) gitlabProject(w http.ResponseWriter, r *http.Request, repo *Repo, rest []string) {
	switch {
	case len(rest) == 0 && r.Method == http.MethodGet:
		writeJSON(w, http.StatusOK, gitlabProject(s, repo))
	case len(rest) == 1 && rest[0] == "deploy_keys" && r.Method == http.MethodGet:
		var out []map[string]any
		for _, k := range repo.Keys {
			out = append(out, map[string]any{"id": k.ID, "title": k.Title, "key": k.Key, "can_push": !k.ReadOnly})
		}
		writeJSON(w, http.StatusOK, orEmpty(out))
	case len(rest) == 1 && rest[0] == "deploy_keys" && r.Method == http.MethodPost:
		var b struct {
			Title   string `json:"title"`
			Key     string `json:"key"`
			CanPush bool   `json:"can_push"`
		}
		if !s.decode(w, r, &b) {
			return
		}
		if b.Title == "" || b.Key == "" {
			s.fail(w, "add deploy key: title and key are required")
			return
		}
		k, ok := s.addKey(repo, Key{Title: b.Title, Key: strings.TrimSpace(b.Key), ReadOnly: !b.CanPush})
		if !ok {
			writeJSON(w, http.StatusBadRequest, map[string]any{"message": map[string]any{"deploy_key.fingerprint_sha256": []string{"has already been taken"}}})
			return
		}
		writeJSON(w, http.StatusCreated, map[string]any{"id": k.ID, "title": k.Title, "key": k.Key, "can_push": !k.ReadOnly})
	case len(rest) == 2 && rest[0] == "deploy_keys" && r.Method == http.MethodDelete:
		id, _ := strconv.ParseInt(rest[1], 10, 64)
		if !deleteKey(repo, id) {
			writeJSON(w, http.StatusNotFound, map[string]string{"message": "404 Deploy Key Not Found"})
			return
		}
		w.WriteHeader(http.StatusNoContent)
	default:
		s.fail(w, "GitLab has no %s %s", r.Method, r.URL.Path)
	}
}

// gitlabProject renders a project as GitLab does (the fields bootstrap reads).
func gitlabProject(s *Server, r *Repo) map[string]any {
	clone, ssh := s.urls(r.Owner, r.Name)
	visibility := "public"
	if r.Private {
		visibility = "private"
	}
	return map[string]any{"id": len(r.Owner) + len(r.Name), "path": r.Name, "path_with_namespace": r.Owner + "/" + r.Name,
		"visibility": visibility, "http_url_to_repo": clone, "ssh_url_to_repo": ssh, "default_branch": "main"}
}

// orEmpty returns an empty JSON array for a nil list.
func orEmpty(l []map[string]any) any {
	if l == nil {
		return []any{}
	}
	return l
}
