package stories

import (
	"context"
	"encoding/base64"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	. "github.com/onsi/gomega"
	authenticationv1 "k8s.io/api/authentication/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/ferry-gitops/ferry/e2e/browser"
	"github.com/ferry-gitops/ferry/e2e/fleet"
)

// uiFailDeadline is how soon a failure the API server holds must show on the page.
const uiFailDeadline = 2 * time.Second

// card is the JavaScript test that the graph shows node id with status.
func card(id, status string) string {
	return fmt.Sprintf(`!!document.querySelector(".card[data-id='%s'][data-status='%s']")`, id, status)
}

// TestStoryUI is `ferry ui` in a real browser (headless Chromium) against the fleet: seed
// 002's objects run (GitRepository and Kustomization apps with their image automation, the
// HelmRepository and HelmRelease ingress-nginx, the Slack Provider and Alert), and the page
// shows them in their layers with what apps applied; when apps is made to fail it turns red
// with its message within 2 s of the API server holding the failure, and its events show;
// the reconcile button makes `ferry reconcile`'s request (the requestedAt annotation) and
// waits for it; a user who may not patch sees the button disabled. Screenshots of each
// state go to $FERRY_SCREENSHOTS or a temporary directory, named in the log.
func TestStoryUI(t *testing.T) {
	dumpLogsOnFailure(t)
	shots := browser.ScreenshotDir(t)
	step(t, "run seed 002: apps with image automation, ingress-nginx, the Slack Provider and Alert")
	loop := startImageLoop(t)
	_, release := applyIngressNginx(t, chartRepository(t, "4.8.0"))
	ns := fleet.Namespace
	slack := newSlackServer(t)
	apply(t, secretObject(ns, "slack-webhook", map[string]string{"address": slack.URL + "/services/T000/B000/XXXX"}))
	provider, alert := seedObject(t, "Provider", "slack", ns), seedObject(t, "Alert", "deployment-alerts", ns)
	apply(t, provider, alert)
	deleteOnCleanup(t, alert, provider)
	waitReady(t, release)

	step(t, "start ferry ui (bin/ferry) and open its URL in headless Chromium")
	ui := browser.StartUI(t, controllers.Bin, env.Kubeconfig)
	ctx := browser.New(t)
	NewWithT(t).Expect(chromedp.Run(ctx, chromedp.Navigate(ui.URL))).To(Succeed())
	ready := map[string]string{
		"GitRepository/flux-system/apps": "Ready", "Kustomization/flux-system/apps": "Ready",
		"HelmRepository/flux-system/ingress-nginx": "Ready", "HelmChart/flux-system/ingress-nginx-ingress-nginx": "Ready",
		"HelmRelease/ingress-nginx/ingress-nginx": "Ready", "ImageRepository/flux-system/my-app": "Ready",
		"ImagePolicy/flux-system/my-app": "Ready", "ImageUpdateAutomation/flux-system/my-app": "Ready",
		"Provider/flux-system/slack": "Ready", "Alert/flux-system/deployment-alerts": "Ready",
	}
	for id, status := range ready {
		expectJS(t, ctx, card(id, status), timeout)
	}
	for _, col := range []struct{ layer, id string }{
		{"source", "GitRepository/flux-system/apps"}, {"source", "HelmRepository/flux-system/ingress-nginx"},
		{"delivery", "Kustomization/flux-system/apps"}, {"delivery", "HelmRelease/ingress-nginx/ingress-nginx"},
		{"side", "ImageUpdateAutomation/flux-system/my-app"}, {"side", "Alert/flux-system/deployment-alerts"},
	} {
		expectJS(t, ctx, fmt.Sprintf(`!!document.querySelector(".column[data-layer='%s'] .card[data-id='%s']")`, col.layer, col.id), timeout)
	}
	for _, entry := range []string{"Deployment/production/my-app", "Service/production/my-app"} {
		expectJS(t, ctx, fmt.Sprintf(`!!document.querySelector(".column[data-layer='inventory'] .card[data-entry='%s'][data-owner='Kustomization/flux-system/apps'][data-health='Current']")`, entry), timeout)
	}
	expectJS(t, ctx, `document.querySelectorAll("#edges path.src").length >= 3`, timeout)
	browser.Screenshot(t, ctx, shots, "1-seed-002")
	step(t, "the page shows seed 002's layers, the objects apps applied (Current) and the edges between them")

	uiFailure(t, ctx, loop.ks, shots)
	uiReconcile(t, ctx, loop.ks, shots)
	uiWithoutPatchRights(t, ctx, shots)
}

// uiFailure makes ks fail (its path no longer exists) and checks that the page turns it red
// with the message within uiFailDeadline, and lists its Warning event; then repairs it.
func uiFailure(t *testing.T, ctx context.Context, ks *unstructured.Unstructured, shots string) {
	step(t, "make Kustomization apps fail: spec.path ./missing")
	patchPath(t, ks, "./missing")
	msg := waitNotReady(t, ks, "ArtifactFailed", `path "./missing" does not exist`)
	id := "Kustomization/flux-system/apps"
	expectJS(t, ctx, fmt.Sprintf(`(() => { const c = document.querySelector(".card[data-id='%s'][data-status='Failed'] .msg");
		return !!c && c.textContent.includes('does not exist') })()`, id), uiFailDeadline)
	step(t, "within %s of the API server's Ready=False the card is red with %q", uiFailDeadline, msg)
	selectCard(t, ctx, id)
	expectJS(t, ctx, `document.querySelector("#detail-message").textContent.includes("does not exist")`, timeout)
	expectJS(t, ctx, `!!document.querySelector("#events li.ev-Warning")`, timeout)
	browser.Screenshot(t, ctx, shots, "2-failed")
	step(t, "its panel shows the message and the Warning event")
	uiFilters(t, ctx, shots)
	step(t, "repair apps: spec.path ./apps/production")
	patchPath(t, ks, "./apps/production")
	waitReady(t, ks)
	expectJS(t, ctx, card(id, "Ready"), timeout)
}

// uiFilters checks the status filter (only apps is Failed) and the search (the objects of
// ingress-nginx), then clears both.
func uiFilters(t *testing.T, ctx context.Context, shots string) {
	set := func(sel, value string) {
		t.Helper()
		expectJS(t, ctx, fmt.Sprintf(`(() => { const e = document.querySelector(%q); e.value = %q;
			e.dispatchEvent(new Event("input")); return true })()`, sel, value), timeout)
	}
	set("#status-filter", "Failed")
	expectJS(t, ctx, `(() => { const ids = [...document.querySelectorAll(".card[data-id]")].map((c) => c.dataset.id);
		return ids.length === 1 && ids[0] === "Kustomization/flux-system/apps" })()`, timeout)
	browser.Screenshot(t, ctx, shots, "2-filter-failed")
	set("#status-filter", "")
	set("#search", "ingress-nginx")
	expectJS(t, ctx, `(() => { const ids = [...document.querySelectorAll(".card[data-id]")].map((c) => c.dataset.id);
		return ids.length === 3 && ids.every((id) => id.includes("ingress-nginx")) })()`, timeout)
	set("#search", "")
	expectJS(t, ctx, `document.querySelectorAll(".card[data-id]").length === 10`, timeout)
	step(t, "the status filter Failed shows apps alone; the search ingress-nginx shows its HelmRepository, HelmChart and HelmRelease")
}

// uiReconcile clicks the reconcile button of ks (its panel is open) and checks that the
// request annotation appears and the controller answers it.
func uiReconcile(t *testing.T, ctx context.Context, ks *unstructured.Unstructured, shots string) {
	step(t, "click Reconcile on Kustomization apps")
	before, _ := get(NewWithT(t), ks).GetAnnotations()[requestedAtAnnotation]
	expectJS(t, ctx, `!document.querySelector("#btn-reconcile").disabled`, timeout)
	NewWithT(t).Expect(chromedp.Run(ctx, chromedp.Click("#btn-reconcile", chromedp.ByQuery))).To(Succeed())
	var at string
	NewWithT(t).Eventually(func(g Gomega) {
		at = get(g, ks).GetAnnotations()[requestedAtAnnotation]
		g.Expect(at).NotTo(BeEmpty())
		g.Expect(at).NotTo(Equal(before))
	}, timeout, interval).Should(Succeed())
	waitHandled(t, ks, at)
	expectJS(t, ctx, `document.querySelector("#action-log").textContent.includes("Kustomization reconciliation completed")`, timeout)
	browser.Screenshot(t, ctx, shots, "3-reconciled")
	step(t, "%s is %s and the controller handled it; the panel shows ferry reconcile's progress", requestedAtAnnotation, at)
}

// uiWithoutPatchRights runs a second ferry ui with the token of a ServiceAccount that may
// read the toolkit objects but not patch them: the buttons are disabled.
func uiWithoutPatchRights(t *testing.T, ctx context.Context, shots string) {
	step(t, "run a second ferry ui as ServiceAccount ui-viewer, which may read but not patch")
	ui := browser.StartUI(t, controllers.Bin, viewerKubeconfig(t))
	tab := browser.Tab(t, ctx)
	NewWithT(t).Expect(chromedp.Run(tab, chromedp.Navigate(ui.URL))).To(Succeed())
	id := "Kustomization/flux-system/apps"
	expectJS(t, tab, card(id, "Ready"), timeout)
	selectCard(t, tab, id)
	for _, button := range []string{"#btn-reconcile", "#btn-reconcile-with-source", "#btn-suspend"} {
		expectJS(t, tab, fmt.Sprintf(`(() => { const b = document.querySelector(%q);
			return !!b && b.disabled && b.title.includes("you may not patch Kustomization objects in flux-system") })()`, button), timeout)
	}
	browser.Screenshot(t, tab, shots, "4-viewer")
	step(t, "the viewer sees Reconcile, Reconcile with source and Suspend disabled: you may not patch")
}

// selectCard clicks the card of node id until the page's panel shows the node: a click is
// lost when the card is redrawn between the press and the release.
func selectCard(t *testing.T, ctx context.Context, id string) {
	t.Helper()
	parts := strings.SplitN(id, "/", 2)
	shown := fmt.Sprintf(`(() => { const h = document.querySelector("#detail:not([hidden]) h3");
		return !!h && h.textContent.includes(%q) })()`, parts[0]+" "+parts[1])
	deadline := time.Now().Add(timeout)
	for {
		NewWithT(t).Expect(chromedp.Run(ctx, chromedp.Click(fmt.Sprintf(".card[data-id='%s']", id), chromedp.ByQuery))).To(Succeed())
		if browser.WaitJS(ctx, shown, time.Second) == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("the panel of %s does not open", id)
		}
	}
}

// expectJS fails the test unless expr becomes true within d; the page's cards are then
// logged.
func expectJS(t *testing.T, ctx context.Context, expr string, d time.Duration) {
	t.Helper()
	if err := browser.WaitJS(ctx, expr, d); err != nil {
		var cards, detail string
		_ = chromedp.Run(ctx, chromedp.Evaluate(`[...document.querySelectorAll(".card[data-id]")].map((c) => c.dataset.id + " " + c.dataset.status + ": " + c.textContent.replace(/\s+/g, " ")).join("\n")`, &cards),
			chromedp.Evaluate(`document.querySelector("#detail").outerHTML`, &detail))
		t.Fatalf("%v\nthe page shows:\n%s\nits panel:\n%s", err, cards, detail)
	}
}

// patchPath sets spec.path of Kustomization ks.
func patchPath(t *testing.T, ks *unstructured.Unstructured, path string) {
	t.Helper()
	cur := &unstructured.Unstructured{}
	cur.SetGroupVersionKind(ks.GroupVersionKind())
	cur.SetNamespace(ks.GetNamespace())
	cur.SetName(ks.GetName())
	patch := fmt.Sprintf(`{"spec":{"path":%q}}`, path)
	if err := env.Client.Patch(context.Background(), cur, client.RawPatch(types.MergePatchType, []byte(patch))); err != nil {
		t.Fatal(err)
	}
}

// viewerKubeconfig creates ServiceAccount flux-system/ui-viewer, allowed to read the
// toolkit objects, events and the objects they apply (not Secrets) and to patch nothing,
// and returns the path of a kubeconfig holding a token of it.
func viewerKubeconfig(t *testing.T) string {
	t.Helper()
	ctx := context.Background()
	read := []string{"get", "list", "watch"}
	sa := &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Namespace: fleet.Namespace, Name: "ui-viewer"}}
	role := &rbacv1.ClusterRole{ObjectMeta: metav1.ObjectMeta{Name: "ui-viewer"}, Rules: []rbacv1.PolicyRule{
		{APIGroups: []string{"source.toolkit.fluxcd.io", "kustomize.toolkit.fluxcd.io", "helm.toolkit.fluxcd.io",
			"image.toolkit.fluxcd.io", "notification.toolkit.fluxcd.io"}, Resources: []string{"*"}, Verbs: read},
		{APIGroups: []string{""}, Resources: []string{"events", "services", "configmaps", "namespaces"}, Verbs: read},
		{APIGroups: []string{"apps"}, Resources: []string{"deployments"}, Verbs: read},
	}}
	binding := &rbacv1.ClusterRoleBinding{ObjectMeta: metav1.ObjectMeta{Name: "ui-viewer"},
		RoleRef:  rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: "ui-viewer"},
		Subjects: []rbacv1.Subject{{Kind: rbacv1.ServiceAccountKind, Namespace: fleet.Namespace, Name: "ui-viewer"}}}
	for _, o := range []client.Object{sa, role, binding} {
		NewWithT(t).Expect(env.Client.Create(ctx, o)).To(Succeed())
	}
	t.Cleanup(func() {
		for _, o := range []client.Object{binding, role, sa} {
			_ = env.Client.Delete(context.Background(), o)
		}
	})
	expiry := int64(3600)
	tr := &authenticationv1.TokenRequest{Spec: authenticationv1.TokenRequestSpec{ExpirationSeconds: &expiry}}
	NewWithT(t).Expect(env.Client.SubResource("token").Create(ctx, sa, tr)).To(Succeed())
	kubeconfig := fmt.Sprintf(`apiVersion: v1
kind: Config
clusters:
- name: ferry
  cluster:
    server: %s
    certificate-authority-data: %s
users:
- name: ui-viewer
  user:
    token: %s
contexts:
- name: ui-viewer
  context: {cluster: ferry, user: ui-viewer}
current-context: ui-viewer
`, apiServerURL(), base64.StdEncoding.EncodeToString(env.Config.CAData), tr.Status.Token)
	path := filepath.Join(t.TempDir(), "viewer.kubeconfig")
	NewWithT(t).Expect(os.WriteFile(path, []byte(kubeconfig), 0o600)).To(Succeed())
	return path
}

// apiServerURL returns the API server's address as a kubeconfig names it.
func apiServerURL() string {
	if strings.Contains(env.Config.Host, "://") {
		return env.Config.Host
	}
	return "https://" + env.Config.Host
}
