package imageupdateautomation

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ProtonMail/go-crypto/openpgp"
	"github.com/ProtonMail/go-crypto/openpgp/armor"
	"github.com/ProtonMail/go-crypto/openpgp/packet"
	gogit "github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing"
	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	imagev1 "github.com/ferry-gitops/ferry/shared/api/image/v1"
	fluxmeta "github.com/ferry-gitops/ferry/shared/api/meta"
	sourcev1 "github.com/ferry-gitops/ferry/shared/api/source/v1"
	"github.com/ferry-gitops/ferry/shared/testing/gitserver"
)

// TestSSH: over SSH, with the identity and known_hosts of the GitRepository's Secret.
func TestSSH(t *testing.T) {
	g := NewWithT(t)
	f := newFixture(t, nil)
	f.withApp(t, false)
	srv := f.repos.ServeSSH(t)
	create(t, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "ssh-auth", Namespace: f.ns},
		Data: map[string][]byte{"identity": srv.Identity, "known_hosts": srv.KnownHosts}})
	repo := &sourcev1.GitRepository{ObjectMeta: metav1.ObjectMeta{Name: "over-ssh", Namespace: f.ns},
		Spec: sourcev1.GitRepositorySpec{URL: srv.RepoURL("repo"), Interval: metav1.Duration{Duration: time.Hour},
			Reference: &sourcev1.GitRepositoryRef{Branch: "main"}, SecretRef: &fluxmeta.LocalObjectReference{Name: "ssh-auth"}}}
	create(t, repo)
	f.policy(t, "app", "ghcr.io/org/app", "1.2.4", nil)
	obj := f.automation("ssh", "")
	obj.Spec.SourceRef.Name = "over-ssh"
	create(t, obj)
	cur := pushed(t, obj, "")
	g.Expect(f.head("refs/heads/main")).To(Equal(cur.Status.LastPushCommit))
	g.Expect(f.show(t, "refs/heads/main", "app.yaml")).To(ContainSubstring("app:1.2.4 #"))
}

// TestSigningKey: commits are signed with the OpenPGP key of spec.git.commit.signingKey,
// decrypted with its passphrase.
func TestSigningKey(t *testing.T) {
	g := NewWithT(t)
	f := newFixture(t, nil)
	f.withApp(t, false)
	private, public := pgpKey(t, "pass phrase")
	create(t, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "signing", Namespace: f.ns},
		Data: map[string][]byte{"git.asc": private, "passphrase": []byte("pass phrase")}})
	f.policy(t, "app", "ghcr.io/org/app", "1.2.4", nil)
	obj := f.automation("signed", "")
	obj.Spec.GitSpec.Commit.SigningKey = &imagev1.SigningKey{SecretRef: fluxmeta.LocalObjectReference{Name: "signing"}}
	create(t, obj)
	cur := pushed(t, obj, "")
	r, err := gogit.PlainOpen(f.bare())
	g.Expect(err).NotTo(HaveOccurred())
	c, err := r.CommitObject(plumbing.NewHash(cur.Status.LastPushCommit))
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(c.PGPSignature).To(HavePrefix("-----BEGIN PGP SIGNATURE-----"))
	signer, err := c.Verify(string(public))
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(signer.PrimaryIdentity().UserId.Email).To(Equal("flux@example.com"))
}

// TestRefspecAndOptions: spec.git.push.refspec is pushed too, and spec.git.push.options
// reach the server.
func TestRefspecAndOptions(t *testing.T) {
	g := NewWithT(t)
	f := newFixture(t, nil)
	f.withApp(t, false)
	gitserver.Git(t, f.bare(), "config", "receive.advertisePushOptions", "true")
	writeHook(t, f, `i=0; : > "$GIT_DIR/push-options"; while [ $i -lt "${GIT_PUSH_OPTION_COUNT:-0}" ]; do eval echo \$GIT_PUSH_OPTION_$i >> "$GIT_DIR/push-options"; i=$((i+1)); done`)
	f.policy(t, "app", "ghcr.io/org/app", "1.2.4", nil)
	obj := f.automation("mirror", "")
	obj.Spec.GitSpec.Push.Refspec = "refs/heads/main:refs/heads/mirror"
	obj.Spec.GitSpec.Push.Options = map[string]string{"ci.skip": ""}
	create(t, obj)
	cur := pushed(t, obj, "")
	g.Expect(f.head("refs/heads/mirror")).To(Equal(cur.Status.LastPushCommit))
	got, err := os.ReadFile(filepath.Join(f.bare(), "push-options"))
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(string(got)).To(Equal("ci.skip=\n"))
}

// TestSomeonePushedMeanwhile: a commit pushed to main while the automation pushes (the
// server takes it just before the automation's push) is kept: the update is re-applied on
// top of it and pushed.
func TestSomeonePushedMeanwhile(t *testing.T) {
	g := NewWithT(t)
	f := &fixture{ns: "", repos: gitserver.NewRepos(t)}
	f.ns = newNamespace(t)
	f.repos.Create(t, "repo", map[string]string{"app.yaml": marked(f.ns, "app", "ghcr.io/org/app:1.0.0")})
	f.repos.Branch(t, "repo", "main", "master")
	backend, err := gitserver.Backend(f.repos.Dir)
	g.Expect(err).NotTo(HaveOccurred())
	var once sync.Once
	var theirs string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("service") == "git-receive-pack" {
			once.Do(func() {
				theirs = f.repos.Commit(t, "repo", "main", "someone else", map[string]string{"other.yaml": "x: 1\n"})
			})
		}
		backend.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	create(t, &sourcev1.GitRepository{ObjectMeta: metav1.ObjectMeta{Name: "apps", Namespace: f.ns},
		Spec: sourcev1.GitRepositorySpec{URL: srv.URL + "/repo.git", Interval: metav1.Duration{Duration: time.Hour},
			Reference: &sourcev1.GitRepositoryRef{Branch: "main"}}})
	f.policy(t, "app", "ghcr.io/org/app", "1.2.4", nil)
	obj := f.automation("race", "")
	create(t, obj)
	cur := pushed(t, obj, "")
	g.Expect(theirs).NotTo(BeEmpty())
	g.Expect(f.head(cur.Status.LastPushCommit+"^")).To(Equal(theirs), "their commit is kept, ours on top")
	g.Expect(f.show(t, "refs/heads/main", "other.yaml")).To(Equal("x: 1\n"))
	g.Expect(f.show(t, "refs/heads/main", "app.yaml")).To(ContainSubstring("app:1.2.4 #"))
}

// pgpKey returns a new armored private key encrypted with passphrase, and its public key.
func pgpKey(t *testing.T, passphrase string) ([]byte, []byte) {
	t.Helper()
	e, err := openpgp.NewEntity("Flux", "", "flux@example.com", &packet.Config{RSABits: 2048})
	if err != nil {
		t.Fatal(err)
	}
	var public bytes.Buffer
	w, _ := armor.Encode(&public, openpgp.PublicKeyType, nil)
	if err := e.Serialize(w); err != nil {
		t.Fatal(err)
	}
	_ = w.Close()
	if err := e.EncryptPrivateKeys([]byte(passphrase), nil); err != nil {
		t.Fatal(err)
	}
	var private bytes.Buffer
	w, _ = armor.Encode(&private, openpgp.PrivateKeyType, nil)
	if err := e.SerializePrivateWithoutSigning(w, nil); err != nil {
		t.Fatal(err)
	}
	_ = w.Close()
	if strings.Contains(private.String(), passphrase) {
		t.Fatal("the passphrase leaked into the key")
	}
	return private.Bytes(), public.Bytes()
}
