package bootstrap_test

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/ferry-gitops/ferry/cli/internal/clitest"
	kustomizev1 "github.com/ferry-gitops/ferry/shared/api/kustomize/v1"
	fluxmeta "github.com/ferry-gitops/ferry/shared/api/meta"
	sourcev1 "github.com/ferry-gitops/ferry/shared/api/source/v1"
	"github.com/ferry-gitops/ferry/shared/runtime/conditions"
	"github.com/ferry-gitops/ferry/shared/testing/gitserver"
	"github.com/ferry-gitops/ferry/shared/testing/testenv"
)

// env is a control plane that runs workloads (KWOK): bootstrap installs the controllers'
// Deployments and waits until they are available.
var env *testenv.Env

func TestMain(m *testing.M) {
	os.Exit(clitest.RunWithWorkloads(m, &env))
}

// ferry runs the CLI in-process against the control plane.
func ferry(t *testing.T, args ...string) clitest.Result {
	t.Helper()
	return clitest.Install(t, env, args...)
}

// emptyRepo makes the bare repository <name>.git without any commit, open to pushes.
func emptyRepo(t *testing.T, repos *gitserver.Repos, name string) string {
	t.Helper()
	bare := repos.BarePath(name)
	gitserver.Git(t, repos.Dir, "init", "-q", "--bare", bare)
	gitserver.Git(t, bare, "config", "http.receivepack", "true")
	return bare
}

// syncController stands in for source-controller and kustomize-controller on the sync
// objects of namespace: it reports the head of branch in the bare repository as fetched and
// applied, the way the controllers' status reads once they have.
func syncController(t *testing.T, namespace, bare, branch string) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		for ctx.Err() == nil {
			if err := syncOnce(ctx, namespace, bare, branch); err != nil && ctx.Err() == nil && !apierrors.IsConflict(err) {
				t.Errorf("simulated sync controller: %v", err)
				return
			}
			select {
			case <-ctx.Done():
			case <-time.After(testenv.Interval):
			}
		}
	}()
	t.Cleanup(func() { cancel(); <-done })
}

// syncOnce reports the branch's head on the GitRepository and Kustomization flux-system.
func syncOnce(ctx context.Context, namespace, bare, branch string) error {
	head, err := revParse(bare, branch)
	if err != nil || head == "" {
		return nil // nothing pushed yet
	}
	rev := branch + "@sha1:" + head
	repo := &sourcev1.GitRepository{}
	if err := env.Client.Get(ctx, client.ObjectKey{Namespace: namespace, Name: "flux-system"}, repo); err == nil {
		repo.Status.Artifact = &fluxmeta.Artifact{Path: "p", URL: "http://source-controller/p", Revision: rev,
			Digest: "sha256:0123456789abcdef", LastUpdateTime: metav1.Now()}
		markReady(repo, "stored artifact for revision '"+rev+"'")
		if err := env.Client.Status().Update(ctx, repo); err != nil {
			return err
		}
	}
	ks := &kustomizev1.Kustomization{}
	if err := env.Client.Get(ctx, client.ObjectKey{Namespace: namespace, Name: "flux-system"}, ks); err == nil {
		ks.Status.LastAppliedRevision = rev
		markReady(ks, "Applied revision: "+rev)
		return env.Client.Status().Update(ctx, ks)
	}
	return nil
}

// markReady sets observedGeneration, lastHandledReconcileAt and Ready=True.
func markReady(obj fluxmeta.StatusObject, message string) {
	st := obj.GetObjectStatus()
	st.ObservedGeneration = obj.GetGeneration()
	if token, ok := fluxmeta.GetRequestedAt(obj); ok {
		st.LastHandledReconcileAt = token
	}
	conditions.MarkTrue(obj, fluxmeta.ReadyCondition, fluxmeta.SucceededReason, message)
}

// revParse returns the commit of branch in the bare repository, or "" when there is none.
func revParse(bare, branch string) (string, error) {
	out, err := gitOutput(bare, "rev-parse", "--verify", "-q", "refs/heads/"+branch)
	if err != nil {
		return "", nil
	}
	return strings.TrimSpace(out), nil
}
