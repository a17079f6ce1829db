package kustomization

import (
	"context"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

	helmv2 "github.com/ferry-gitops/ferry/shared/api/helm/v2"
	kustomizev1 "github.com/ferry-gitops/ferry/shared/api/kustomize/v1"
	fluxmeta "github.com/ferry-gitops/ferry/shared/api/meta"
	sourcev1 "github.com/ferry-gitops/ferry/shared/api/source/v1"
	"github.com/ferry-gitops/ferry/shared/cloud"
	"github.com/ferry-gitops/ferry/shared/runtime/conditions"
	"github.com/ferry-gitops/ferry/shared/runtime/manager"
	"github.com/ferry-gitops/ferry/shared/runtime/reconcile"
	"github.com/ferry-gitops/ferry/shared/testing/artifactserver"
	"github.com/ferry-gitops/ferry/shared/testing/ctrltest"
	"github.com/ferry-gitops/ferry/shared/testing/statuscheck"
	"github.com/ferry-gitops/ferry/shared/testing/testenv"

	"github.com/ferry-gitops/ferry/kustomize-controller/internal/source"
)

var (
	env       *testenv.Env
	artifacts *artifactserver.Server
)

// shardLabel routes a Kustomization to a manager started with other flags than the suite's.
const shardLabel = "test.ferry.dev/shard"

func TestMain(m *testing.M) {
	scheme := runtime.NewScheme()
	for _, add := range []func(*runtime.Scheme) error{clientgoscheme.AddToScheme, kustomizev1.AddToScheme, helmv2.AddToScheme, sourcev1.AddToScheme} {
		if err := add(scheme); err != nil {
			panic(err)
		}
	}
	os.Exit(testenv.Run(m, testenv.Options{
		Scheme:                scheme,
		CRDDirectoryPaths:     []string{"../../../../deploy/crds"},
		ErrorIfCRDPathMissing: true,
		// Benchmarks apply no workloads: the plain API server leaves the CPU to them.
		Workloads: !benchmarking(),
		Setup: func(e *testenv.Env) error {
			env = e
			var err error
			if artifacts, err = artifactserver.New(); err != nil {
				return err
			}
			if benchmarking() {
				return nil
			}
			dir, err := os.MkdirTemp("", "kustomize-controller-suite-")
			if err != nil {
				return err
			}
			suite, err = startManager(dir, "")
			return err
		},
	}))
}

// suite is the controller every test shares; it serves Kustomizations without shardLabel.
var suite *ctrltest.Manager

// benchmarking reports whether only benchmarks run (go test -run '^$' -bench .).
func benchmarking() bool {
	for _, a := range os.Args {
		if strings.HasPrefix(a, "-test.run=") && strings.TrimPrefix(a, "-test.run=") == "^$" {
			return true
		}
	}
	return false
}

// startController runs a controller for the test with the given flags, serving only the
// Kustomizations labelled with shard.
func startController(t testing.TB, shard string, args ...string) *ctrltest.Manager {
	t.Helper()
	m, err := startManager(t.TempDir(), shard, args...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(m.Stop)
	return m
}

// startManager starts a controller; shard "" serves the Kustomizations without shardLabel.
// "--strict" turns strict substitution on; "--sops-age-secret=<namespace>/<name>" sets the
// global age Secret; "--default-decryption-service-account=<name>" sets the lockdown
// ServiceAccount of decryption. The feature gate ObjectLevelWorkloadIdentity is on unless
// args turn it off ("--feature-gates=ObjectLevelWorkloadIdentity=false").
func startManager(dir, shard string, args ...string) (*ctrltest.Manager, error) {
	sel := "!" + shardLabel
	if shard != "" {
		sel = shardLabel + "=" + shard
	}
	opts := Options{}
	var flags []string
	for _, a := range args {
		switch {
		case a == "--strict":
			opts.StrictSubstitution = true
		case strings.HasPrefix(a, "--sops-age-secret="):
			// main.go reads the namespace from RUNTIME_NAMESPACE; tests give it.
			ns, name, _ := strings.Cut(strings.TrimPrefix(a, "--sops-age-secret="), "/")
			opts.SOPSAgeSecret = types.NamespacedName{Namespace: ns, Name: name}
		case strings.HasPrefix(a, "--default-decryption-service-account="):
			// main.go binds the flag through manager.Program.Decryption; tests give it.
			opts.DefaultDecryptionServiceAccount = strings.TrimPrefix(a, "--default-decryption-service-account=")
		default:
			flags = append(flags, a)
		}
	}
	cache, err := source.New(source.Options{Dir: dir + "/artifacts"})
	if err != nil {
		return nil, err
	}
	return ctrltest.Start(env, ctrltest.Options{
		Name:  ControllerName,
		Kinds: []client.Object{&kustomizev1.Kustomization{}},
		// As main.go: the controller takes --default-kubeconfig-service-account.
		RemoteClusters: true,
		FeatureGates:   []string{cloud.ObjectLevelWorkloadIdentity},
		Args: append([]string{"--watch-label-selector=" + sel, "--concurrent=10", "--kube-api-qps=500", "--kube-api-burst=1000",
			"--feature-gates=" + cloud.ObjectLevelWorkloadIdentity + "=true"}, flags...),
		Register: func(mgr ctrl.Manager, rt *reconcile.Runtime, o *manager.Options) error {
			opts.Cache = cache
			return Setup(mgr, rt, o, opts)
		},
	})
}

// ctxT returns a context bounded by the shared timeout.
func ctxT(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), testenv.RolloutTimeout)
	t.Cleanup(cancel)
	return ctx
}

// publish packs files into an artifact with the given revision.
func publish(t testing.TB, name, revision string, files map[string]string) fluxmeta.Artifact {
	t.Helper()
	a, err := artifacts.ArtifactFromFiles(name+"-"+strings.NewReplacer("@", "-", ":", "-").Replace(revision), files, revision)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// gitRepository creates a GitRepository whose status holds the artifact (none when nil).
func gitRepository(t testing.TB, ns, name string, a *fluxmeta.Artifact) *sourcev1.GitRepository {
	t.Helper()
	repo := &sourcev1.GitRepository{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
		Spec:       sourcev1.GitRepositorySpec{URL: "https://example.com/repo.git", Interval: metav1.Duration{Duration: time.Hour}},
	}
	if err := env.Client.Create(ctxT(t), repo); err != nil {
		t.Fatal(err)
	}
	if a != nil {
		setArtifact(t, repo, *a)
	}
	return repo
}

// setArtifact stores a new artifact in the source's status, as the source-controller does.
func setArtifact(t testing.TB, repo *sourcev1.GitRepository, a fluxmeta.Artifact) {
	t.Helper()
	g := NewWithT(t)
	g.Eventually(func() error {
		if err := env.Client.Get(ctxT(t), client.ObjectKeyFromObject(repo), repo); err != nil {
			return err
		}
		repo.Status.Artifact = &a
		conditions.MarkTrue(repo, fluxmeta.ReadyCondition, fluxmeta.SucceededReason, "stored artifact for revision "+a.Revision)
		repo.Status.ObservedGeneration = repo.Generation
		return env.Client.Status().Update(ctxT(t), repo)
	}, testenv.Timeout, testenv.Interval).Should(Succeed())
}

// kustomization creates a Kustomization of the repository in ns, changed by mutate.
func kustomization(t testing.TB, ns, name, repo string, mutate func(*kustomizev1.Kustomization)) *kustomizev1.Kustomization {
	t.Helper()
	k := &kustomizev1.Kustomization{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
		Spec: kustomizev1.KustomizationSpec{
			SourceRef: kustomizev1.CrossNamespaceSourceReference{Kind: sourcev1.GitRepositoryKind, Name: repo},
			Interval:  metav1.Duration{Duration: time.Hour},
			Path:      "./",
			Prune:     true,
		},
	}
	if mutate != nil {
		mutate(k)
	}
	if err := env.Client.Create(ctxT(t), k); err != nil {
		t.Fatal(err)
	}
	return k
}

// readyAt waits until k is Ready having applied revision, and returns it (kstatus
// invariants checked).
func readyAt(t testing.TB, k *kustomizev1.Kustomization, revision string) *kustomizev1.Kustomization {
	t.Helper()
	return statuscheck.Wait(t, env.Client, k, func(g Gomega, cur *kustomizev1.Kustomization) {
		g.Expect(conditions.IsReady(cur)).To(BeTrue(), "Ready: %+v", conditions.Get(cur, fluxmeta.ReadyCondition))
		g.Expect(cur.Status.LastAppliedRevision).To(Equal(revision))
	})
}

// readyMessage is the message of obj's Ready condition.
func readyMessage(obj *kustomizev1.Kustomization) string {
	if c := conditions.Get(obj, fluxmeta.ReadyCondition); c != nil {
		return c.Message
	}
	return ""
}

// object reads an object of the given apiVersion and kind, nil when missing.
func object(t testing.TB, apiVersion, kind, ns, name string) *unstructured.Unstructured {
	t.Helper()
	u := &unstructured.Unstructured{}
	u.SetAPIVersion(apiVersion)
	u.SetKind(kind)
	err := env.Client.Get(ctxT(t), client.ObjectKey{Namespace: ns, Name: name}, u)
	if client.IgnoreNotFound(err) != nil {
		t.Fatal(err)
	}
	if err != nil {
		return nil
	}
	return u
}

// configMap is a ConfigMap manifest.
func configMap(name, value string) string {
	return fmt.Sprintf("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: %s\ndata:\n  key: %q\n", name, value)
}

// invRef is an inventory entry.
func invRef(id, version string) fluxmeta.ResourceRef {
	return fluxmeta.ResourceRef{ID: id, Version: version}
}
