package stories

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	. "github.com/onsi/gomega"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/ferry-gitops/ferry/e2e/fleet"
	"github.com/ferry-gitops/ferry/shared/testing/gitserver"
)

// ferryCLI runs the ferry binary of the fleet's bin directory against the control plane and
// returns what it printed on both streams.
func ferryCLI(t *testing.T, args ...string) string {
	t.Helper()
	cmd := exec.Command(filepath.Join(controllers.Bin, fleet.CLI), args...)
	cmd.Env = append(os.Environ(), "KUBECONFIG="+env.Kubeconfig)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("ferry %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	step(t, "ferry %s:\n%s", strings.Join(args, " "), out)
	return string(out)
}

// TestStoryBootstrapGit is the seeds' bootstrap: from a bare repository served over HTTPS
// (basic auth, private CA), `ferry bootstrap git --path clusters/my-cluster` commits Ferry's
// manifests and makes the cluster manage itself from Git; a push of
// clusters/my-cluster/apps.yaml then deploys the app, and bootstrapping again makes no commit.
func TestStoryBootstrapGit(t *testing.T) {
	dumpLogsOnFailure(t)
	g := NewWithT(t)
	repos := gitserver.NewRepos(t)
	bare := repos.BarePath("fleet-infra")
	gitserver.Git(t, repos.Dir, "init", "-q", "--bare", bare)
	gitserver.Git(t, bare, "config", "http.receivepack", "true")
	// The CLI writes the password into the Secret flux-system/flux-system: recorded, so that
	// the suite fails if it leaks.
	const password = "bootstrap-pa55word"
	controllers.Secrets.Record("the bootstrap git password", "password", []byte(password))
	srv := repos.ServeHTTP(t, gitserver.HTTPOptions{Username: "git", Password: password})
	caFile := filepath.Join(t.TempDir(), "ca.crt")
	g.Expect(os.WriteFile(caFile, srv.CA, 0o600)).To(Succeed())
	bootstrap := []string{"bootstrap", "git", "--url", srv.RepoURL("fleet-infra"), "--username", "git", "--password", password,
		"--ca-file", caFile, "--branch", "main", "--path", "clusters/my-cluster", "--silent", "--timeout", "3m"}
	cleanupBootstrap(t)

	step(t, "ferry bootstrap git --url %s --path clusters/my-cluster", srv.RepoURL("fleet-infra"))
	out := ferryCLI(t, bootstrap...)
	g.Expect(out).To(ContainSubstring("✔ Kustomization reconciled successfully"))
	files := gitserver.Git(t, bare, "ls-tree", "-r", "--name-only", "main")
	g.Expect(strings.Fields(files)).To(ContainElements("clusters/my-cluster/flux-system/gotk-components.yaml",
		"clusters/my-cluster/flux-system/gotk-sync.yaml", "clusters/my-cluster/flux-system/kustomization.yaml"))
	head := gitserver.Git(t, bare, "rev-parse", "main")
	waitReady(t, kustomization(fleet.Namespace, "flux-system", "flux-system", "./clusters/my-cluster"),
		func(g Gomega, o *unstructured.Unstructured) {
			rev, _, _ := unstructured.NestedString(o.Object, "status", "lastAppliedRevision")
			g.Expect(rev).To(Equal("main@sha1:" + head))
		})
	step(t, "the cluster applies its own manifests from main@sha1:%s", head)
	out = ferryCLI(t, "check")
	g.Expect(out).To(ContainSubstring("✔ bootstrapped: true"))
	g.Expect(out).To(ContainSubstring("✔ all checks passed"))

	step(t, "git push clusters/my-cluster/apps.yaml and apps/my-app")
	work := filepath.Join(t.TempDir(), "work")
	gitserver.Git(t, repos.Dir, "clone", "-q", "-b", "main", bare, work)
	gitserver.WriteFile(t, filepath.Join(work, "clusters/my-cluster/apps.yaml"), appsKustomization)
	gitserver.WriteFile(t, filepath.Join(work, "apps/my-app/deployment.yaml"), greeterManifest("default", 2))
	gitserver.Git(t, work, "add", "-A")
	gitserver.Git(t, work, "commit", "-q", "-m", "Add my-app")
	gitserver.Git(t, work, "push", "-q", "origin", "main")
	ferryCLI(t, "reconcile", "kustomization", "flux-system", "--with-source", "--timeout", "2m")
	waitReady(t, kustomization(fleet.Namespace, "my-apps", "flux-system", "./apps/my-app"))
	waitDeployment(t, "default", "greeter", 2)
	step(t, "the app is applied: Deployment default/greeter is available")

	step(t, "ferry bootstrap git again: no new commit")
	before := gitserver.Git(t, bare, "rev-list", "--count", "main")
	out = ferryCLI(t, bootstrap...)
	g.Expect(out).To(ContainSubstring("✔ component manifests are up to date"))
	g.Expect(gitserver.Git(t, bare, "rev-list", "--count", "main")).To(Equal(before))
	table := ferryCLI(t, "get", "kustomizations")
	g.Expect(table).To(MatchRegexp(`(?m)^flux-system\s+main@sha1:\S+\s+False\s+True\s+Applied revision`))
}

// appsKustomization is the seed's clusters/my-cluster/apps.yaml.
const appsKustomization = `apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata:
  name: my-apps
  namespace: flux-system
spec:
  interval: 10m
  sourceRef:
    kind: GitRepository
    name: flux-system # This refers to the GitRepository created by bootstrap
  path: ./apps/my-app
  prune: true
  wait: true
`

// componentKinds are the kinds of the controllers' objects bootstrap installs beside the
// CRDs and the namespace.
var componentKinds = []schema.GroupVersionKind{
	{Group: "apps", Version: "v1", Kind: "Deployment"},
	{Version: "v1", Kind: "Service"},
	{Version: "v1", Kind: "ServiceAccount"},
	{Group: "networking.k8s.io", Version: "v1", Kind: "NetworkPolicy"},
	{Group: "rbac.authorization.k8s.io", Version: "v1", Kind: "RoleBinding"},
	{Group: "rbac.authorization.k8s.io", Version: "v1", Kind: "Role"},
	{Group: "rbac.authorization.k8s.io", Version: "v1", Kind: "ClusterRoleBinding"},
	{Group: "rbac.authorization.k8s.io", Version: "v1", Kind: "ClusterRole"},
}

// cleanupBootstrap removes what the story made the cluster manage, and the controllers'
// objects bootstrap installed, leaving the CRDs and the flux-system namespace other stories
// use: the Kustomization flux-system is suspended and orphans its objects, my-apps prunes the
// app.
func cleanupBootstrap(t *testing.T) {
	t.Cleanup(func() {
		if t.Failed() {
			return
		}
		ctx := context.Background()
		root := kustomization(fleet.Namespace, "flux-system", "flux-system", "./clusters/my-cluster")
		patch := client.RawPatch(types.MergePatchType, []byte(`{"spec":{"suspend":true,"deletionPolicy":"Orphan"}}`))
		if err := client.IgnoreNotFound(env.Client.Patch(ctx, root, patch)); err != nil {
			t.Errorf("failed to orphan Kustomization flux-system: %v", err)
		}
		// flux-system goes first: a reconcile of it that started before the suspension can
		// still apply clusters/my-cluster/apps.yaml, and would create my-apps again after its
		// deletion. Gone (its objects orphaned), nothing applies my-apps any more.
		objs := []*unstructured.Unstructured{
			kustomization(fleet.Namespace, "flux-system", "flux-system", "./clusters/my-cluster"),
			kustomization(fleet.Namespace, "my-apps", "flux-system", "./apps/my-app"),
			gitRepository(fleet.Namespace, "flux-system", ""),
		}
		for _, o := range objs {
			if err := client.IgnoreNotFound(env.Client.Delete(ctx, o.DeepCopy())); err != nil {
				t.Errorf("failed to delete %s %s: %v", o.GetKind(), o.GetName(), err)
			}
			waitGone(t, o.DeepCopy())
		}
		for _, gvk := range componentKinds {
			l := &unstructured.UnstructuredList{}
			l.SetGroupVersionKind(gvk.GroupVersion().WithKind(gvk.Kind + "List"))
			if err := env.Client.List(ctx, l, client.MatchingLabels{"app.kubernetes.io/part-of": "ferry"}); err != nil {
				t.Errorf("failed to list %s objects: %v", gvk.Kind, err)
				continue
			}
			for i := range l.Items {
				if err := client.IgnoreNotFound(env.Client.Delete(ctx, &l.Items[i])); err != nil {
					t.Errorf("failed to delete %s %s: %v", gvk.Kind, l.Items[i].GetName(), err)
				}
			}
		}
	})
}
