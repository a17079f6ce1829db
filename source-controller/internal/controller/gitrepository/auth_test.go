package gitrepository

import (
	"context"
	"fmt"
	"path"
	"testing"

	. "github.com/onsi/gomega"
	"sigs.k8s.io/controller-runtime/pkg/client"

	fluxmeta "github.com/ferry-gitops/ferry/shared/api/meta"
	sourcev1 "github.com/ferry-gitops/ferry/shared/api/source/v1"
	"github.com/ferry-gitops/ferry/shared/testing/githubapp"
	"github.com/ferry-gitops/ferry/shared/testing/gitserver"
	"github.com/ferry-gitops/ferry/shared/testing/statuscheck"
	"github.com/ferry-gitops/ferry/shared/testing/testenv"
)

const (
	testUser     = "ferry"
	testPassword = "s3cr3t-pa55"
	testToken    = "t0k3n-value"
)

// TestLifecycle follows one repository over HTTPS with basic auth and a custom CA (provider
// generic): first artifact and event, no clone while the remote is unchanged, a new commit,
// garbage collection down to two artifacts, a failure that keeps the last artifact, and
// deletion.
func TestLifecycle(t *testing.T) {
	g := NewWithT(t)
	ns := testenv.NewNamespace(t, k8s)
	repos := gitserver.NewRepos(t)
	first := repos.Create(t, "app", map[string]string{"deploy/app.yaml": "kind: ConfigMap\n"})
	srv := repos.ServeHTTP(t, gitserver.HTTPOptions{Username: testUser, Password: testPassword})
	newSecret(t, ns, "creds", map[string][]byte{"username": []byte(testUser), "password": []byte(testPassword), "ca.crt": srv.CA})
	repo := newRepo(t, ns, "app", srv.RepoURL("app"), func(o *sourcev1.GitRepository) {
		o.Spec.Provider = sourcev1.GitProviderGeneric
		o.Spec.SecretRef = &fluxmeta.LocalObjectReference{Name: "creds"}
	})

	obj := statuscheck.Ready(t, k8s, repo)
	want := fmt.Sprintf("stored artifact for revision '%s'", revision("master", first))
	g.Expect(obj.Status.Artifact.Revision).To(Equal(revision("master", first)))
	g.Expect(conditionsOf(obj)).To(ContainElements(
		"Ready=True/Succeeded: "+want, "ArtifactInStorage=True/Succeeded: "+want))
	g.Expect(obj.Status.Artifact.Path).To(HavePrefix(path.Join("gitrepository", ns, "app") + "/"))
	g.Expect(files(t, obj.Status.Artifact)).To(Equal([]string{"deploy/app.yaml"}))
	g.Eventually(func(g Gomega) []string { return statuscheck.Events(t, k8s, repo, sourcev1.GitRepositoryKind) }, testenv.Timeout, testenv.Interval).
		Should(ContainElement("Normal NewArtifact: stored artifact for commit 'initial commit'"))
	g.Expect(finalizersOf(g, repo)).To(ContainElement(sourcev1.SourceFinalizer))

	// An unchanged remote costs a reference listing, no fetch of objects.
	fetches := repos.Fetches("app")
	g.Expect(fetches).To(Equal(1))
	again := statuscheck.RequestReconcile(t, k8s, repo)
	g.Expect(repos.Fetches("app")).To(Equal(fetches))
	g.Expect(again.Status.Artifact).To(Equal(obj.Status.Artifact))

	// New commits give new artifacts; two are kept.
	second := repos.Commit(t, "app", "master", "add a service", map[string]string{"deploy/svc.yaml": "kind: Service\n"})
	obj = statuscheck.RequestReconcile(t, k8s, repo)
	g.Expect(obj.Status.Artifact.Revision).To(Equal(revision("master", second)))
	g.Expect(files(t, obj.Status.Artifact)).To(Equal([]string{"deploy/app.yaml", "deploy/svc.yaml"}))
	g.Eventually(func(g Gomega) []string { return statuscheck.Events(t, k8s, repo, sourcev1.GitRepositoryKind) }, testenv.Timeout, testenv.Interval).
		Should(ContainElement("Normal NewArtifact: stored artifact for commit 'add a service'"))
	third := repos.Commit(t, "app", "master", "third", map[string]string{"deploy/svc.yaml": ""})
	obj = statuscheck.RequestReconcile(t, k8s, repo)
	g.Expect(obj.Status.Artifact.Revision).To(Equal(revision("master", third)))
	stored, err := store.List(sourcev1.GitRepositoryKind, ns, "app")
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(stored).To(HaveLen(2))
	g.Expect(stored).To(ContainElement(obj.Status.Artifact.Path))

	// A failure keeps the last artifact served.
	last := obj.Status.Artifact
	statuscheck.Update(t, k8s, repo, func(o *sourcev1.GitRepository) { o.Spec.Reference = &sourcev1.GitRepositoryRef{Branch: "missing"} })
	obj = statuscheck.NotReady(t, k8s, repo, sourcev1.GitOperationFailedReason, "couldn't find remote ref 'refs/heads/missing'")
	g.Expect(obj.Status.Artifact).To(Equal(last))
	g.Expect(conditionsOf(obj)).To(ContainElement(HavePrefix("FetchFailed=True/GitOperationFailed: ")))
	g.Expect(files(t, obj.Status.Artifact)).To(Equal([]string{"deploy/app.yaml"}))

	// Deletion removes every artifact.
	g.Expect(k8s.Delete(context.Background(), obj)).To(Succeed())
	g.Eventually(func() bool {
		err := k8s.Get(context.Background(), client.ObjectKeyFromObject(repo), &sourcev1.GitRepository{})
		return client.IgnoreNotFound(err) == nil && err != nil
	}, testenv.Timeout, testenv.Interval).Should(BeTrue())
	stored, err = store.List(sourcev1.GitRepositoryKind, ns, "app")
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(stored).To(BeEmpty())
}

// TestHTTPSAuth covers the HTTPS credentials: bearer token, mutual TLS, and their failures.
func TestHTTPSAuth(t *testing.T) {
	repos := gitserver.NewRepos(t)
	hash := repos.Create(t, "app", map[string]string{"a.yaml": "a\n"})
	bearer := repos.ServeHTTP(t, gitserver.HTTPOptions{BearerToken: testToken})
	mtls := repos.ServeHTTP(t, gitserver.HTTPOptions{ClientCerts: true})
	basic := repos.ServeHTTP(t, gitserver.HTTPOptions{Username: testUser, Password: testPassword})
	tests := []struct {
		name   string
		url    string
		secret map[string][]byte
		reason string // empty: Ready
		msg    string
	}{
		{name: "bearer token", url: bearer.RepoURL("app"), secret: map[string][]byte{"bearerToken": []byte(testToken), "ca.crt": bearer.CA}},
		{name: "mutual tls", url: mtls.RepoURL("app"), secret: map[string][]byte{"ca.crt": mtls.CA, "tls.crt": mtls.ClientCert, "tls.key": mtls.ClientKey}},
		{name: "wrong bearer token", url: bearer.RepoURL("app"), secret: map[string][]byte{"bearerToken": []byte("nope"), "ca.crt": bearer.CA},
			reason: sourcev1.AuthenticationFailedReason, msg: "authentication failed"},
		{name: "wrong password", url: basic.RepoURL("app"), secret: map[string][]byte{"username": []byte(testUser), "password": []byte("wrong"), "ca.crt": basic.CA},
			reason: sourcev1.AuthenticationFailedReason, msg: "authentication failed"},
		{name: "no client certificate", url: mtls.RepoURL("app"), secret: map[string][]byte{"ca.crt": mtls.CA},
			reason: sourcev1.GitOperationFailedReason, msg: "failed to fetch " + mtls.RepoURL("app")},
		{name: "unknown certificate authority", url: basic.RepoURL("app"), secret: map[string][]byte{"username": []byte(testUser), "password": []byte(testPassword)},
			reason: sourcev1.GitOperationFailedReason, msg: "certificate"},
		{name: "certificate without key", url: mtls.RepoURL("app"), secret: map[string][]byte{"ca.crt": mtls.CA, "tls.crt": mtls.ClientCert},
			reason: sourcev1.AuthenticationFailedReason, msg: "tls.crt and tls.key must be set together"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := NewWithT(t)
			ns := testenv.NewNamespace(t, k8s)
			newSecret(t, ns, "creds", tt.secret)
			repo := newRepo(t, ns, "app", tt.url, func(o *sourcev1.GitRepository) {
				o.Spec.SecretRef = &fluxmeta.LocalObjectReference{Name: "creds"}
			})
			if tt.reason == "" {
				g.Expect(statuscheck.Ready(t, k8s, repo).Status.Artifact.Revision).To(Equal(revision("master", hash)))
				return
			}
			obj := statuscheck.NotReady(t, k8s, repo, tt.reason, tt.msg)
			g.Expect(obj.Status.Artifact).To(BeNil())
			g.Expect(conditionsOf(obj)).To(ContainElement(HavePrefix("FetchFailed=True/" + tt.reason)))
			g.Expect(conditionsOf(obj)).To(ContainElement(HavePrefix("Reconciling=True/ProgressingWithRetry")))
			g.Expect(fmt.Sprint(obj.Status.Conditions)).NotTo(Or(ContainSubstring(testPassword), ContainSubstring(testToken)))
		})
	}
}

// TestSSH covers ssh with identity and known_hosts, and the refusal to go on without
// known_hosts or with a host key it does not list.
func TestSSH(t *testing.T) {
	repos := gitserver.NewRepos(t)
	hash := repos.Create(t, "app", map[string]string{"a.yaml": "a\n"})
	srv := repos.ServeSSH(t)
	other := repos.ServeSSH(t)
	tests := []struct {
		name   string
		secret map[string][]byte // nil: no secretRef
		reason string
		msg    string
	}{
		{name: "known host", secret: map[string][]byte{"identity": srv.Identity, "known_hosts": srv.KnownHosts}},
		{name: "no known_hosts", secret: map[string][]byte{"identity": srv.Identity},
			reason: sourcev1.AuthenticationFailedReason, msg: "known_hosts is required to verify the host key"},
		{name: "no secret", reason: sourcev1.AuthenticationFailedReason, msg: "set spec.secretRef to a Secret with 'identity' and 'known_hosts'"},
		{name: "other host key", secret: map[string][]byte{"identity": srv.Identity, "known_hosts": other.KnownHosts},
			reason: sourcev1.GitOperationFailedReason, msg: "not in known_hosts"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := NewWithT(t)
			ns := testenv.NewNamespace(t, k8s)
			repo := newRepo(t, ns, "app", srv.RepoURL("app"), func(o *sourcev1.GitRepository) {
				if tt.secret != nil {
					newSecret(t, ns, "ssh", tt.secret)
					o.Spec.SecretRef = &fluxmeta.LocalObjectReference{Name: "ssh"}
				}
			})
			if tt.reason == "" {
				g.Expect(statuscheck.Ready(t, k8s, repo).Status.Artifact.Revision).To(Equal(revision("master", hash)))
				// Over SSH the unchanged remote costs one upload-pack session: the listing.
				before := repos.SSHUploadPacks("app")
				statuscheck.RequestReconcile(t, k8s, repo)
				g.Expect(repos.SSHUploadPacks("app")).To(Equal(before + 1))
				return
			}
			statuscheck.NotReady(t, k8s, repo, tt.reason, tt.msg)
		})
	}
}

// conditionsOf renders the conditions as "Type=Status/Reason: message".
func conditionsOf(obj *sourcev1.GitRepository) []string {
	out := make([]string, 0, len(obj.Status.Conditions))
	for _, c := range obj.Status.Conditions {
		out = append(out, fmt.Sprintf("%s=%s/%s: %s", c.Type, c.Status, c.Reason, c.Message))
	}
	return out
}

// finalizersOf returns the finalizers of the GitRepository obj names.
func finalizersOf(g Gomega, obj *sourcev1.GitRepository) []string {
	return get(g, obj).Finalizers
}

// TestGitHubAppProvider: spec.provider github authenticates as the GitHub App installation of
// spec.secretRef: the controller gets an installation token from the (local) GitHub API with
// the App's JSON Web Token and clones over HTTPS as x-access-token with it, reusing the token
// while it is valid. A Secret without the App's keys, or with another App's key, is
// Ready=False AuthenticationFailed naming the cause, and nothing is cloned.
func TestGitHubAppProvider(t *testing.T) {
	g := NewWithT(t)
	ns := testenv.NewNamespace(t, k8s)
	api := githubapp.New(t)
	repos := gitserver.NewRepos(t)
	head := repos.Create(t, "app", map[string]string{"deploy/app.yaml": "kind: ConfigMap\n"})
	tokens := &tokenCheck{api: api}
	srv := repos.ServeHTTP(t, gitserver.HTTPOptions{Username: "x-access-token", Password: "set per request", Check: tokens.valid})
	ca := append(append([]byte{}, srv.CA...), api.CA...)
	newSecret(t, ns, "app", map[string][]byte{"githubAppID": []byte(api.AppID), "githubAppInstallationID": []byte(fmt.Sprint(api.InstallationID)),
		"githubAppPrivateKey": api.PrivateKey, "githubAppBaseURL": []byte(api.URL), "ca.crt": ca})
	repo := newRepo(t, ns, "app", srv.RepoURL("app"), func(o *sourcev1.GitRepository) {
		o.Spec.Provider = sourcev1.GitProviderGitHub
		o.Spec.SecretRef = &fluxmeta.LocalObjectReference{Name: "app"}
	})
	obj := statuscheck.Ready(t, k8s, repo)
	g.Expect(obj.Status.Artifact.Revision).To(Equal(revision("master", head)))
	g.Expect(api.Issued()).To(Equal(int64(1)))
	statuscheck.RequestReconcile(t, k8s, repo)
	g.Expect(api.Issued()).To(Equal(int64(1)), "the token is reused while valid")

	other := githubapp.New(t)
	newSecret(t, ns, "other-key", map[string][]byte{"githubAppID": []byte(api.AppID), "githubAppInstallationID": []byte(fmt.Sprint(api.InstallationID)),
		"githubAppPrivateKey": other.PrivateKey, "githubAppBaseURL": []byte(api.URL), "ca.crt": ca})
	wrong := newRepo(t, ns, "wrong-key", srv.RepoURL("app"), func(o *sourcev1.GitRepository) {
		o.Spec.Provider = sourcev1.GitProviderGitHub
		o.Spec.SecretRef = &fluxmeta.LocalObjectReference{Name: "other-key"}
	})
	statuscheck.NotReady(t, k8s, wrong, sourcev1.AuthenticationFailedReason, "failed to get a GitHub App installation token")
	g.Expect(api.Refused()).To(BeNumerically(">=", 1))

	newSecret(t, ns, "plain", map[string][]byte{"username": []byte("git"), "password": []byte("pw")})
	missing := newRepo(t, ns, "missing-keys", srv.RepoURL("app"), func(o *sourcev1.GitRepository) {
		o.Spec.Provider = sourcev1.GitProviderGitHub
		o.Spec.SecretRef = &fluxmeta.LocalObjectReference{Name: "plain"}
	})
	statuscheck.NotReady(t, k8s, missing, sourcev1.AuthenticationFailedReason, "the secret has no githubAppID, githubAppInstallationID, githubAppPrivateKey")
	g.Expect(repos.Fetches("app")).To(Equal(1), "only the App's installation cloned")
}

// tokenCheck accepts, as the Git server's password, the last token the API issued.
type tokenCheck struct{ api *githubapp.Server }

func (c *tokenCheck) valid(user, password string) bool {
	return user == "x-access-token" && password != "" && password == c.api.LastToken()
}
