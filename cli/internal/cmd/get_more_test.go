package cmd_test

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"sync"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/yaml"

	"github.com/ferry-gitops/ferry/cli/internal/cmd"
	helmv2 "github.com/ferry-gitops/ferry/shared/api/helm/v2"
	fluxmeta "github.com/ferry-gitops/ferry/shared/api/meta"
	sourcev1 "github.com/ferry-gitops/ferry/shared/api/source/v1"
	"github.com/ferry-gitops/ferry/shared/runtime/conditions"
	"github.com/ferry-gitops/ferry/shared/testing/testenv"
)

func TestGetOutputAndStatusSelector(t *testing.T) {
	ns := testenv.NewNamespace(t, env.Client)
	good, bad := gitRepository(ns, "good"), gitRepository(ns, "bad")
	create(t, good)
	create(t, bad)
	setStatus(t, good, storeArtifact("main@sha1:aaaa"))
	setStatus(t, bad, func(obj *sourcev1.GitRepository) {
		conditions.MarkFalse(obj, fluxmeta.ReadyCondition, fluxmeta.FailedReason, "authentication required")
	})

	res := ferry(t, "get", "sources", "git", "-n", ns, "--status-selector", "ready=false", "--no-header")
	if res.runErr != nil || !strings.HasPrefix(res.out, "bad ") || strings.Contains(res.out, "good") {
		t.Errorf("ready=false printed %q, %v", res.out, res.runErr)
	}
	res = ferry(t, "get", "sources", "git", "-n", ns, "-o", "json", "--status-selector", "Ready=True")
	var list struct {
		Kind  string
		Items []sourcev1.GitRepository
	}
	if err := json.Unmarshal([]byte(res.out), &list); err != nil {
		t.Fatalf("-o json: %v\n%s", err, res.out)
	}
	if list.Kind != "List" || len(list.Items) != 1 || list.Items[0].Name != "good" ||
		list.Items[0].Status.Artifact == nil || list.Items[0].Status.Artifact.Revision != "main@sha1:aaaa" {
		t.Errorf("-o json = %+v", list)
	}
	res = ferry(t, "get", "sources", "git", "-n", ns, "-o", "yaml")
	var ylist map[string]any
	if err := yaml.Unmarshal([]byte(res.out), &ylist); err != nil || len(ylist["items"].([]any)) != 2 {
		t.Errorf("-o yaml: %v\n%s", err, res.out)
	}
	if res := ferry(t, "get", "ks", "-n", ns, "--status-selector", "ready"); res.runErr == nil {
		t.Error("a selector without a status was accepted")
	}
}

// lockedBuffer is a buffer the command writes while the test reads it.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// waitPrinted polls out until it holds what, failing the test after testenv.Timeout.
func waitPrinted(t *testing.T, out *lockedBuffer, what string) {
	t.Helper()
	deadline := time.Now().Add(testenv.Timeout)
	for !strings.Contains(out.String(), what) {
		if time.Now().After(deadline) {
			t.Fatalf("the watch never printed %q:\n%s", what, out.String())
		}
		time.Sleep(testenv.Interval)
	}
}

func TestGetWatch(t *testing.T) {
	ns := testenv.NewNamespace(t, env.Client)
	create(t, gitRepository(ns, "first"))
	var out lockedBuffer
	root := cmd.NewRootCommand(cmd.Options{Version: "test", Out: &out, Err: &out})
	root.SetArgs([]string{"--kubeconfig", env.Kubeconfig, "get", "sources", "git", "-n", ns, "--watch"})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- root.ExecuteContext(ctx) }()
	defer func() { cancel(); <-done }()

	waitFor := func(what string) { t.Helper(); waitPrinted(t, &out, what) }
	waitFor("first")
	second := gitRepository(ns, "second")
	create(t, second)
	waitFor("second")
	setStatus(t, second, storeArtifact("main@sha1:bbbb"))
	waitFor("second   main@sha1:bbbb")
}

func TestReconcileHelmReleaseForceReset(t *testing.T) {
	ns := testenv.NewNamespace(t, env.Client)
	hr := &helmv2.HelmRelease{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "web"}}
	hr.Spec.Interval = metav1.Duration{Duration: time.Minute}
	hr.Spec.ChartRef = &helmv2.CrossNamespaceSourceReference{Kind: sourcev1.OCIRepositoryKind, Name: "web"}
	create(t, hr)
	simulate(t, kindOf(t, helmv2.HelmReleaseKind), ns, readyTrue("Helm upgrade succeeded"))
	res := ferry(t, "reconcile", "hr", "web", "-n", ns, "--force", "--reset")
	if res.runErr != nil {
		t.Fatal(res.runErr)
	}
	fetch(t, hr)
	token := hr.Annotations[fluxmeta.ReconcileRequestAnnotation]
	if token == "" || hr.Annotations[fluxmeta.ForceRequestAnnotation] != token || hr.Annotations[fluxmeta.ResetRequestAnnotation] != token {
		t.Errorf("annotations = %v", hr.Annotations)
	}
	if res := ferry(t, "reconcile", "ks", "apps", "-n", ns, "--force"); res.runErr == nil {
		t.Error("--force was accepted for a Kustomization")
	}
}
