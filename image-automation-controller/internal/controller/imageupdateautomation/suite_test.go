package imageupdateautomation

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/ferry-gitops/ferry/image-automation-controller/internal/workspace"
	imagev1 "github.com/ferry-gitops/ferry/shared/api/image/v1"
	fluxmeta "github.com/ferry-gitops/ferry/shared/api/meta"
	sourcev1 "github.com/ferry-gitops/ferry/shared/api/source/v1"
	"github.com/ferry-gitops/ferry/shared/runtime/conditions"
	"github.com/ferry-gitops/ferry/shared/runtime/manager"
	"github.com/ferry-gitops/ferry/shared/runtime/reconcile"
	"github.com/ferry-gitops/ferry/shared/testing/ctrltest"
	"github.com/ferry-gitops/ferry/shared/testing/gitserver"
	"github.com/ferry-gitops/ferry/shared/testing/statuscheck"
	"github.com/ferry-gitops/ferry/shared/testing/testenv"
)

var (
	k8s client.Client
	// mgr is the running controller, whose cache a test may read.
	mgr *ctrltest.Manager
	// store is the manager's store of clones, in storeDir.
	store    *workspace.Store
	storeDir string
)

// TestMain runs the controller on a real API server; the image-reflector-controller and the
// source-controller do not run: tests write an ImagePolicy's status as that controller does,
// and a GitRepository needs no status (the automation reads only its spec and Secrets).
func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "ferry-workspace-")
	if err != nil {
		panic(err)
	}
	defer os.RemoveAll(dir)
	storeDir = dir
	if store, err = workspace.NewStore(dir); err != nil {
		panic(err)
	}
	os.Exit(ctrltest.RunSuite(m, ctrltest.SuiteOptions{
		AddToScheme:       []func(*runtime.Scheme) error{imagev1.AddToScheme, sourcev1.AddToScheme},
		CRDDirectoryPaths: []string{"../../../../deploy/crds"},
		Manager: ctrltest.Options{Name: "image-automation-controller", Kinds: []client.Object{&imagev1.ImageUpdateAutomation{}},
			Register: func(mgr ctrl.Manager, rt *reconcile.Runtime, o *manager.Options) error {
				return Setup(mgr, rt, o, store)
			}},
		Started: func(e *testenv.Env, m *ctrltest.Manager) { k8s, mgr = e.Client, m },
	}))
}

// fixture is a Git repository served over HTTPS with basic auth, its GitRepository (with the
// credentials in a Secret) in a new namespace, and the working copy the test pushes from.
type fixture struct {
	ns    string
	repos *gitserver.Repos
	srv   *gitserver.HTTPServer
	repo  *sourcev1.GitRepository
}

// newFixture serves a repository whose branch main holds files, and creates its
// GitRepository "apps" following main.
func newFixture(t *testing.T, files map[string]string) *fixture {
	t.Helper()
	f := &fixture{ns: newNamespace(t), repos: gitserver.NewRepos(t)}
	f.repos.Create(t, "repo", files)
	f.repos.Branch(t, "repo", "main", "master")
	f.srv = f.repos.ServeHTTP(t, gitserver.HTTPOptions{Username: "git", Password: "s3cret-pass"})
	create(t, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "git-auth", Namespace: f.ns},
		Data: map[string][]byte{"username": []byte("git"), "password": []byte("s3cret-pass"), "ca.crt": f.srv.CA}})
	f.repo = &sourcev1.GitRepository{ObjectMeta: metav1.ObjectMeta{Name: "apps", Namespace: f.ns},
		Spec: sourcev1.GitRepositorySpec{URL: f.srv.RepoURL("repo"), Interval: metav1.Duration{Duration: time.Hour},
			Reference: &sourcev1.GitRepositoryRef{Branch: "main"}, SecretRef: &fluxmeta.LocalObjectReference{Name: "git-auth"}}}
	create(t, f.repo)
	return f
}

// bare returns the path of the served bare repository.
func (f *fixture) bare() string { return f.repos.BarePath("repo") }

// head returns the commit of ref in the served repository, or "" when there is none.
func (f *fixture) head(ref string) string {
	out, err := gitOutput(f.bare(), "rev-parse", "-q", "--verify", ref)
	if err != nil {
		return ""
	}
	return out
}

// show returns the content of path at rev in the served repository.
func (f *fixture) show(t *testing.T, rev, path string) string {
	t.Helper()
	out, err := gitRaw(f.bare(), "show", rev+":"+path)
	if err != nil {
		t.Fatalf("git show %s:%s: %v", rev, path, err)
	}
	return out
}

// policy creates ImagePolicy name in the fixture's namespace and gives it a latest image,
// as image-reflector-controller would.
func (f *fixture) policy(t testing.TB, name, image, tag string, labels map[string]string) *imagev1.ImagePolicy {
	t.Helper()
	p := &imagev1.ImagePolicy{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: f.ns, Labels: labels},
		Spec: imagev1.ImagePolicySpec{ImageRepositoryRef: fluxmeta.NamespacedObjectReference{Name: name},
			Policy: imagev1.ImagePolicyChoice{SemVer: &imagev1.SemVerPolicy{Range: ">=0.0.0"}}}}
	create(t, p)
	elect(t, p, &imagev1.ImageRef{Name: image, Tag: tag})
	return p
}

// elect writes latest as the policy's elected image (nil: not Ready), as
// image-reflector-controller does.
func elect(t testing.TB, p *imagev1.ImagePolicy, latest *imagev1.ImageRef) {
	t.Helper()
	NewWithT(t).Eventually(func() error {
		cur := &imagev1.ImagePolicy{}
		if err := k8s.Get(context.Background(), client.ObjectKeyFromObject(p), cur); err != nil {
			return err
		}
		cur.Status.LatestRef = latest
		cur.Status.ObservedGeneration = cur.Generation
		if latest == nil {
			conditions.MarkFalse(cur, fluxmeta.ReadyCondition, fluxmeta.ReconciliationFailedReason, "no tag satisfies the policy")
		} else {
			cur.Status.LatestImage = latest.Name + ":" + latest.Tag
			conditions.MarkTrue(cur, fluxmeta.ReadyCondition, fluxmeta.SucceededReason, "elected "+latest.Tag)
		}
		return k8s.Status().Update(context.Background(), cur)
	}, statuscheck.Timeout, testenv.Interval).Should(Succeed())
}

// automation returns an ImageUpdateAutomation of the fixture's GitRepository pushing to main.
func (f *fixture) automation(name, path string) *imagev1.ImageUpdateAutomation {
	return &imagev1.ImageUpdateAutomation{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: f.ns},
		Spec: imagev1.ImageUpdateAutomationSpec{
			SourceRef: imagev1.CrossNamespaceSourceReference{Kind: sourcev1.GitRepositoryKind, Name: "apps"},
			Interval:  metav1.Duration{Duration: time.Hour},
			GitSpec: &imagev1.GitSpec{Commit: imagev1.CommitSpec{Author: imagev1.CommitUser{Name: "Flux", Email: "flux@example.com"}},
				Push: &imagev1.PushSpec{Branch: "main"}},
			Update: &imagev1.UpdateStrategy{Strategy: imagev1.UpdateStrategySetters, Path: path},
		}}
}

// create creates obj, failing the test otherwise.
func create(t testing.TB, obj client.Object) {
	t.Helper()
	if err := k8s.Create(context.Background(), obj); err != nil {
		t.Fatalf("failed to create %T %s: %v", obj, obj.GetName(), err)
	}
}

// pushed waits until the automation is Ready having pushed a commit other than previous, and
// returns it.
func pushed(t *testing.T, obj *imagev1.ImageUpdateAutomation, previous string) *imagev1.ImageUpdateAutomation {
	t.Helper()
	return statuscheck.Wait(t, k8s, obj, func(g Gomega, cur *imagev1.ImageUpdateAutomation) {
		g.Expect(conditions.IsReady(cur)).To(BeTrue(), "%+v", cur.Status.Conditions)
		g.Expect(cur.Status.LastPushCommit).NotTo(BeEmpty())
		g.Expect(cur.Status.LastPushCommit).NotTo(Equal(previous))
	})
}

// gitOutput runs git in dir and returns its trimmed output.
func gitOutput(dir string, args ...string) (string, error) {
	out, err := gitRaw(dir, args...)
	return strings.TrimSpace(out), err
}

// gitRaw runs git in dir and returns its output as is.
func gitRaw(dir string, args ...string) (string, error) {
	return gitserver.Output(dir, args...)
}

// objectMeta returns the name and namespace of u.
func objectMeta(u *unstructured.Unstructured) *metav1.ObjectMeta {
	return &metav1.ObjectMeta{Name: u.GetName(), Namespace: u.GetNamespace()}
}

// keyOf names an object.
func keyOf(ns, name string) client.ObjectKey { return client.ObjectKey{Namespace: ns, Name: name} }

// newNamespace creates a namespace for the test.
func newNamespace(t testing.TB) string { return testenv.NewNamespace(t, k8s) }

// withApp commits app.yaml, marked for the policy app at ghcr.io/org/app:1.0.0, on main and
// returns that commit; policy, when set, creates the policy app electing 1.2.4.
func (f *fixture) withApp(t *testing.T, policy bool) string {
	t.Helper()
	head := f.repos.Commit(t, "repo", "main", "app", map[string]string{"app.yaml": marked(f.ns, "app", "ghcr.io/org/app:1.0.0")})
	if policy {
		f.policy(t, "app", "ghcr.io/org/app", "1.2.4", nil)
	}
	return head
}
