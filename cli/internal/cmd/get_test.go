package cmd_test

import (
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	helmv2 "github.com/ferry-gitops/ferry/shared/api/helm/v2"
	kustomizev1 "github.com/ferry-gitops/ferry/shared/api/kustomize/v1"
	fluxmeta "github.com/ferry-gitops/ferry/shared/api/meta"
	notificationv1 "github.com/ferry-gitops/ferry/shared/api/notification/v1"
	notificationv1beta3 "github.com/ferry-gitops/ferry/shared/api/notification/v1beta3"
	sourcev1 "github.com/ferry-gitops/ferry/shared/api/source/v1"
	"github.com/ferry-gitops/ferry/shared/runtime/conditions"
	"github.com/ferry-gitops/ferry/shared/testing/testenv"
)

// storeArtifact sets the status a source-controller writes after fetching revision.
func storeArtifact(revision string) func(*sourcev1.GitRepository) {
	return func(obj *sourcev1.GitRepository) {
		obj.Status.Artifact = &fluxmeta.Artifact{
			Path:           "gitrepository/" + obj.Namespace + "/" + obj.Name + "/artifact.tar.gz",
			URL:            "http://source-controller/gitrepository/" + obj.Name + ".tar.gz",
			Revision:       revision,
			Digest:         "sha256:0123456789abcdef",
			LastUpdateTime: metav1.Now(),
		}
		obj.Status.ObservedGeneration = obj.Generation
		conditions.MarkTrue(obj, fluxmeta.ReadyCondition, fluxmeta.SucceededReason, "stored artifact for revision '"+revision+"'")
	}
}

func TestGetSourcesGit(t *testing.T) {
	ns := testenv.NewNamespace(t, env.Client)
	podinfo, broken, fresh := gitRepository(ns, "podinfo"), gitRepository(ns, "broken"), gitRepository(ns, "fresh")
	podinfo.Spec.Suspend = true
	for _, obj := range []*sourcev1.GitRepository{podinfo, broken, fresh} {
		create(t, obj)
	}
	setStatus(t, podinfo, storeArtifact("main@sha1:1a2b3c"))
	setStatus(t, broken, func(obj *sourcev1.GitRepository) {
		conditions.MarkFalse(obj, fluxmeta.ReadyCondition, fluxmeta.FailedReason, "failed to clone:\nauthentication required")
	})

	want := strings.Join([]string{
		"NAME      REVISION           SUSPENDED   READY   MESSAGE",
		"broken                       False       False   failed to clone: authentication required",
		"fresh                        False       False   waiting to be reconciled",
		"podinfo   main@sha1:1a2b3c   True        True    stored artifact for revision 'main@sha1:1a2b3c'",
		"",
	}, "\n")
	for _, words := range [][]string{{"sources", "git"}, {"source", "git"}} {
		res := ferry(t, append(append([]string{"get"}, words...), "-n", ns)...)
		if res.runErr != nil {
			t.Fatalf("get %v: %v", words, res.runErr)
		}
		if res.out != want {
			t.Errorf("get %v printed\n%s\nwant\n%s", words, res.out, want)
		}
	}

	res := ferry(t, "get", "sources", "git", "podinfo", "-n", ns, "--no-header")
	if want := "podinfo   main@sha1:1a2b3c   True   True   stored artifact for revision 'main@sha1:1a2b3c'\n"; res.out != want {
		t.Errorf("get one printed\n%q\nwant\n%q", res.out, want)
	}
}

func TestGetAllNamespaces(t *testing.T) {
	nsA, nsB := testenv.NewNamespace(t, env.Client), testenv.NewNamespace(t, env.Client)
	// Namespaces of earlier tests linger (Terminating) and -A sees them: use a name no other
	// test (or earlier run of this one) has.
	name := "web-" + nsA
	for _, ns := range []string{nsB, nsA} {
		hr := &helmv2.HelmRelease{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name}}
		hr.Spec.Interval = metav1.Duration{Duration: time.Minute}
		hr.Spec.ChartRef = &helmv2.CrossNamespaceSourceReference{Kind: sourcev1.OCIRepositoryKind, Name: "web"}
		create(t, hr)
	}
	setStatus(t, &helmv2.HelmRelease{ObjectMeta: metav1.ObjectMeta{Namespace: nsA, Name: name}},
		func(obj *helmv2.HelmRelease) {
			obj.Status.History = helmv2.Snapshots{{
				Name: "web", Namespace: nsA, Version: 1, Status: "deployed", ChartName: "web",
				ChartVersion: "6.5.4", ConfigDigest: "sha256:abcd",
				FirstDeployed: metav1.Now(), LastDeployed: metav1.Now(),
			}}
			conditions.MarkTrue(obj, fluxmeta.ReadyCondition, "InstallSucceeded", "Helm install succeeded")
		})

	res := ferry(t, "get", "hr", name, "-A")
	if res.runErr != nil {
		t.Fatal(res.runErr)
	}
	lines := strings.Split(strings.TrimSuffix(res.out, "\n"), "\n")
	if len(lines) != 3 {
		t.Fatalf("got %d lines, want a header and two rows:\n%s", len(lines), res.out)
	}
	if fields := strings.Fields(lines[0]); strings.Join(fields, " ") != "NAMESPACE NAME REVISION SUSPENDED READY MESSAGE" {
		t.Errorf("header = %q", lines[0])
	}
	first, second := nsA, nsB
	if nsB < nsA {
		first, second = nsB, nsA
	}
	if !strings.HasPrefix(lines[1], first+" ") || !strings.HasPrefix(lines[2], second+" ") {
		t.Errorf("rows are not sorted by namespace:\n%s", res.out)
	}
	rowA := map[bool]string{true: lines[1], false: lines[2]}[first == nsA]
	if got := strings.Join(strings.Fields(rowA), " "); got != nsA+" "+name+" 6.5.4 False True Helm install succeeded" {
		t.Errorf("row of %s = %q", nsA, got)
	}
}

func TestGetAll(t *testing.T) {
	ns := testenv.NewNamespace(t, env.Client)
	create(t, gitRepository(ns, "repo"))
	ks := kustomization(ns, "apps", "repo")
	create(t, ks)
	setStatus(t, ks, func(obj *kustomizev1.Kustomization) {
		obj.Status.LastAppliedRevision = "main@sha1:ffff"
		conditions.MarkTrue(obj, fluxmeta.ReadyCondition, fluxmeta.ReconciliationSucceededReason, "Applied revision: main@sha1:ffff")
	})
	alert := &notificationv1beta3.Alert{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "on-call"}}
	alert.Spec.ProviderRef = fluxmeta.LocalObjectReference{Name: "slack"}
	alert.Spec.EventSources = []notificationv1.CrossNamespaceObjectReference{{Kind: "Kustomization", Name: "*"}}
	create(t, alert)

	res := ferry(t, "get", "all", "-n", ns)
	if res.runErr != nil {
		t.Fatal(res.runErr)
	}
	want := strings.Join([]string{
		"NAME                 REVISION   SUSPENDED   READY   MESSAGE",
		"gitrepository/repo              False       False   waiting to be reconciled",
		"",
		"NAME                 REVISION         SUSPENDED   READY   MESSAGE",
		"kustomization/apps   main@sha1:ffff   False       True    Applied revision: main@sha1:ffff",
		"",
		"NAME            SUSPENDED   READY   MESSAGE",
		"alert/on-call   False       True    Alert is Ready",
		"",
	}, "\n")
	if res.out != want {
		t.Errorf("get all printed\n%s\nwant\n%s", res.out, want)
	}
	if res.err != "" {
		t.Errorf("get all reported %q, want nothing for the kinds without objects", res.err)
	}
}

func TestGetNothing(t *testing.T) {
	ns := testenv.NewNamespace(t, env.Client)
	res := ferry(t, "get", "ks", "missing", "-n", ns)
	if res.runErr != nil || res.out != "" {
		t.Fatalf("get of a missing object = %v, %q; want no error and no table", res.runErr, res.out)
	}
	if want := "✗ Kustomization object 'missing' not found in \"" + ns + "\" namespace\n"; res.err != want {
		t.Errorf("reported %q, want %q", res.err, want)
	}
	res = ferry(t, "get", "receivers", "-n", ns)
	if want := "✗ no Receiver objects found in \"" + ns + "\" namespace\n"; res.err != want {
		t.Errorf("reported %q, want %q", res.err, want)
	}
}

func TestCommandLineErrors(t *testing.T) {
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"get", "sources"}, "a kind of sources is required"},
		{[]string{"get", "widgets"}, `unknown kind "widgets"`},
		{[]string{"get", "ks", "a", "b"}, "expected at most one name"},
		{[]string{"reconcile", "all", "x"}, "a single kind is required"},
		{[]string{"reconcile", "ks"}, "exactly one Kustomization name is required"},
		{[]string{"suspend", "ks"}, "a Kustomization name, or --all, is required"},
		{[]string{"resume", "ks", "a", "--all"}, "either names or --all may be given, not both"},
		{[]string{"--context", "no-such-context", "get", "ks"}, "failed to load the kubeconfig"},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, "_"), func(t *testing.T) {
			res := ferry(t, tt.args...)
			if res.runErr == nil || !strings.Contains(res.runErr.Error(), tt.want) {
				t.Errorf("error = %v, want one containing %q", res.runErr, tt.want)
			}
		})
	}
}

func TestVersion(t *testing.T) {
	if res := ferry(t, "version"); res.runErr != nil || res.out != "ferry: test\n" {
		t.Errorf("version = %q, %v", res.out, res.runErr)
	}
}
