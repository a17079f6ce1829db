package cmd_test

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/ferry-gitops/ferry/cli/internal/cmd"
	kustomizev1 "github.com/ferry-gitops/ferry/shared/api/kustomize/v1"
	fluxmeta "github.com/ferry-gitops/ferry/shared/api/meta"
	sourcev1 "github.com/ferry-gitops/ferry/shared/api/source/v1"
	"github.com/ferry-gitops/ferry/shared/testing/testenv"
)

// runUI starts `ferry ui --no-open` with args until the test ends and returns the URL it
// printed.
func runUI(t *testing.T, args ...string) *url.URL {
	t.Helper()
	pr, pw := io.Pipe()
	var errOut lockedBuffer
	root := cmd.NewRootCommand(cmd.Options{Version: "test", Out: pw, Err: &errOut, PollInterval: 20 * time.Millisecond})
	root.SetArgs(append([]string{"ui", "--no-open", "--kubeconfig", env.Kubeconfig}, args...))
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- root.ExecuteContext(ctx); pw.Close() }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("ferry ui: %v", err)
		}
		t.Logf("ferry ui printed:\n%s", errOut.String())
	})
	lines := make(chan string, 1)
	go func() {
		line, _ := bufio.NewReader(pr).ReadString('\n')
		lines <- strings.TrimSpace(line)
		_, _ = io.Copy(io.Discard, pr)
	}()
	select {
	case line := <-lines:
		u, err := url.Parse(line)
		if err != nil || u.Query().Get("token") == "" {
			t.Fatalf("ferry ui printed %q, want its URL with the token", line)
		}
		if u.Hostname() != "127.0.0.1" {
			t.Errorf("ferry ui serves on %s, want 127.0.0.1", u.Host)
		}
		return u
	case <-time.After(testenv.Timeout):
		t.Fatalf("ferry ui printed no URL:\n%s", errOut.String())
	}
	return nil
}

// uiAction posts an action to the page at u and returns the outcome.
func uiAction(t *testing.T, u *url.URL, action, id string) (ok bool, log, errText string) {
	t.Helper()
	body := `{"action":"` + action + `","id":"` + id + `"}`
	req, err := http.NewRequest(http.MethodPost, "http://"+u.Host+"/api/actions", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("X-Ferry-Token", u.Query().Get("token"))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var res struct {
		OK    bool   `json:"ok"`
		Error string `json:"error"`
		Log   string `json:"log"`
	}
	if resp.StatusCode != http.StatusOK {
		data, _ := io.ReadAll(resp.Body)
		t.Fatalf("POST %s: %s: %s", body, resp.Status, data)
	}
	if err := json.NewDecoder(resp.Body).Decode(&res); err != nil {
		t.Fatal(err)
	}
	return res.OK, res.Log, res.Error
}

// TestUIActionsRunTheVerbs drives the page's actions against `ferry ui` and checks that
// they are the reconcile, suspend and resume commands: the same annotation and patch, the
// same wait for the controller, the same progress lines, handed back to the page.
func TestUIActionsRunTheVerbs(t *testing.T) {
	ns := testenv.NewNamespace(t, env.Client)
	repo, ks := gitRepository(ns, "repo"), kustomization(ns, "apps", "repo")
	create(t, repo)
	create(t, ks)
	simulate(t, kindOf(t, sourcev1.GitRepositoryKind), ns, readyTrue("stored artifact"))
	simulate(t, kindOf(t, kustomizev1.KustomizationKind), ns, readyTrue("applied"))
	u := runUI(t, "-n", ns, "--timeout", "15s")
	id := "Kustomization/" + ns + "/apps"

	ok, log, errText := uiAction(t, u, "reconcile-with-source", id)
	if !ok {
		t.Fatalf("reconcile with source failed: %s\n%s", errText, log)
	}
	for _, want := range []string{
		"► annotating GitRepository repo in " + ns + " namespace",
		"✔ GitRepository reconciliation completed",
		"► annotating Kustomization apps in " + ns + " namespace",
		"✔ Kustomization reconciliation completed",
	} {
		if !strings.Contains(log, want) {
			t.Errorf("the action's log lacks %q:\n%s", want, log)
		}
	}
	fetch(t, repo)
	fetch(t, ks)
	requestHandled(t, repo)
	requestHandled(t, ks)

	if ok, log, errText := uiAction(t, u, "suspend", id); !ok || !strings.Contains(log, "✔ Kustomization suspended") {
		t.Fatalf("suspend: %v %s\n%s", ok, errText, log)
	}
	fetch(t, ks)
	if !ks.Spec.Suspend {
		t.Fatal("the Kustomization is not suspended")
	}
	ok, _, errText = uiAction(t, u, "reconcile", id)
	if ok || !strings.Contains(errText, "the object is suspended") {
		t.Errorf("reconcile of a suspended object: ok %v, error %q; want the CLI's refusal", ok, errText)
	}
	before, _ := fluxmeta.GetRequestedAt(ks)
	if ok, log, errText := uiAction(t, u, "resume", id); !ok || !strings.Contains(log, "✔ Kustomization reconciliation completed") {
		t.Fatalf("resume: %v %s\n%s", ok, errText, log)
	}
	fetch(t, ks)
	if ks.Spec.Suspend {
		t.Error("the Kustomization is still suspended")
	}
	requestHandled(t, ks)
	if after, _ := fluxmeta.GetRequestedAt(ks); after == before {
		t.Error("resume did not request a reconciliation")
	}
}

// TestUIReadOnly checks that --read-only switches the actions off.
func TestUIReadOnly(t *testing.T) {
	ns := testenv.NewNamespace(t, env.Client)
	create(t, kustomization(ns, "apps", "repo"))
	u := runUI(t, "-n", ns, "--read-only")
	req, _ := http.NewRequest(http.MethodPost, "http://"+u.Host+"/api/actions",
		strings.NewReader(`{"action":"suspend","id":"Kustomization/`+ns+`/apps"}`))
	req.Header.Set("X-Ferry-Token", u.Query().Get("token"))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden {
		t.Errorf("suspend on a read-only page: %s, want 403", resp.Status)
	}
	ks := kustomization(ns, "apps", "repo")
	fetch(t, ks)
	if ks.Spec.Suspend {
		t.Error("a read-only page suspended the Kustomization")
	}
}
