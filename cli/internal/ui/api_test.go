package ui_test

import (
	"context"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/ferry-gitops/ferry/cli/internal/ui"
	kustomizev1 "github.com/ferry-gitops/ferry/shared/api/kustomize/v1"
	"github.com/ferry-gitops/ferry/shared/testing/testenv"
)

// create creates obj, failing the test on error.
func create(t *testing.T, obj client.Object) {
	t.Helper()
	if err := env.Client.Create(context.Background(), obj); err != nil {
		t.Fatalf("failed to create %T %s: %v", obj, obj.GetName(), err)
	}
}

// TestTokenAndHost checks that nothing is served without the token, that the URL's token
// turns into a cookie that reads may use, that writes need the header, and that a request
// for another host name is refused.
func TestTokenAndHost(t *testing.T) {
	ns := testenv.NewNamespace(t, env.Client)
	p := serve(t, nil, ui.Options{Namespace: ns})
	u, err := url.Parse(p.http.URL)
	if err != nil {
		t.Fatal(err)
	}
	cookieName := "ferry_ui_token_" + u.Port()
	noRedirect := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	do := func(method, path, cookie, header, host string) *http.Response {
		t.Helper()
		req, err := http.NewRequest(method, p.http.URL+path, strings.NewReader(`{"action":"suspend","id":"Kustomization/`+ns+`/x"}`))
		if err != nil {
			t.Fatal(err)
		}
		if cookie != "" {
			req.AddCookie(&http.Cookie{Name: cookieName, Value: cookie})
		}
		if header != "" {
			req.Header.Set("X-Ferry-Token", header)
		}
		if host != "" {
			req.Host = host
		}
		resp, err := noRedirect.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp
	}
	tok := p.srv.Token()
	if len(tok) != 64 {
		t.Errorf("token %q is not 256 random bits in hex", tok)
	}
	for _, c := range []struct {
		name, method, path, cookie, header, host string
		want                                     int
	}{
		{"page without token", "GET", "/", "", "", "", http.StatusUnauthorized},
		{"graph without token", "GET", "/api/graph", "", "", "", http.StatusUnauthorized},
		{"script without token", "GET", "/static/app.js", "", "", "", http.StatusUnauthorized},
		{"wrong token", "GET", "/api/graph", "", "nope", "", http.StatusUnauthorized},
		{"wrong cookie", "GET", "/api/graph", "nope", "", "", http.StatusUnauthorized},
		{"token in the URL of another path", "GET", "/api/graph?token=" + tok, "", "", "", http.StatusUnauthorized},
		{"token in the URL", "GET", "/?token=" + tok, "", "", "", http.StatusSeeOther},
		{"cookie", "GET", "/api/graph", tok, "", "", http.StatusOK},
		{"cookie, page", "GET", "/", tok, "", "", http.StatusOK},
		{"cookie, script", "GET", "/static/app.js", tok, "", "", http.StatusOK},
		{"header", "GET", "/api/graph", "", tok, "", http.StatusOK},
		{"write with the cookie alone", "POST", "/api/actions", tok, "", "", http.StatusUnauthorized},
		{"other host", "GET", "/api/graph", "", tok, "evil.example.com", http.StatusForbidden},
		{"localhost", "GET", "/api/graph", "", tok, "localhost:1234", http.StatusOK},
	} {
		t.Run(c.name, func(t *testing.T) {
			if got := do(c.method, c.path, c.cookie, c.header, c.host).StatusCode; got != c.want {
				t.Errorf("%s %s: %d, want %d", c.method, c.path, got, c.want)
			}
		})
	}
	resp := do("GET", "/?token="+tok, "", "", "")
	var cookie *http.Cookie
	for _, c := range resp.Cookies() {
		if c.Name == cookieName {
			cookie = c
		}
	}
	if cookie == nil || cookie.Value != tok || !cookie.HttpOnly || cookie.SameSite != http.SameSiteStrictMode {
		t.Errorf("the URL's token set cookie %+v, want an HttpOnly SameSite=Strict cookie with the token", cookie)
	}
	if loc := resp.Header.Get("Location"); loc != "/" {
		t.Errorf("redirect to %q, want / (the token leaves the address bar)", loc)
	}
}

// TestPageIsEmbedded checks that the page and its assets come from the binary, carry the
// token for the page's requests, and load nothing from elsewhere.
func TestPageIsEmbedded(t *testing.T) {
	ns := testenv.NewNamespace(t, env.Client)
	p := serve(t, nil, ui.Options{Namespace: ns})
	for path, want := range map[string]string{
		"/":               `<meta name="ferry-token" content="` + p.srv.Token() + `">`,
		"/static/app.js":  "new EventSource(\"/api/stream\")",
		"/static/app.css": "--failed",
	} {
		resp := p.request(t, http.MethodGet, path, "")
		data, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK || !strings.Contains(string(data), want) {
			t.Errorf("GET %s: %s, body lacks %q", path, resp.Status, want)
		}
		if strings.Contains(string(data), "https://") || strings.Contains(string(data), "http://") {
			t.Errorf("%s refers to another server", path)
		}
		if csp := resp.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'self'") {
			t.Errorf("%s: Content-Security-Policy %q", path, csp)
		}
	}
}

// TestInventoryHealthAndEvents checks the objects of an inventory with their health, read
// with the user's credentials, and the object's recent events, newest first.
func TestInventoryHealthAndEvents(t *testing.T) {
	ns := testenv.NewNamespace(t, env.Client)
	create(t, kustomization(ns, "apps"))
	create(t, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "settings"}})
	st := ready("Applied")
	st["inventory"] = map[string]any{"entries": []any{
		map[string]any{"id": ns + "_settings__ConfigMap", "v": "v1"},
		map[string]any{"id": ns + "_gone__ConfigMap", "v": "v1"},
	}}
	patchStatus(t, kustomizev1.GroupVersion.WithKind("Kustomization"), ns, "apps", st)
	for i, reason := range []string{"ReconciliationSucceeded", "BuildFailed"} {
		at := metav1.NewTime(time.Now().Add(time.Duration(i) * time.Minute))
		create(t, &corev1.Event{
			ObjectMeta:     metav1.ObjectMeta{Namespace: ns, Name: "apps." + strings.ToLower(reason)},
			InvolvedObject: corev1.ObjectReference{Kind: "Kustomization", APIVersion: kustomizev1.GroupVersion.String(), Namespace: ns, Name: "apps"},
			Type:           map[bool]string{true: "Normal", false: "Warning"}[i == 0],
			Reason:         reason, Message: "event " + reason, FirstTimestamp: at, LastTimestamp: at, Count: 1,
		})
	}
	create(t, &corev1.Event{
		ObjectMeta:     metav1.ObjectMeta{Namespace: ns, Name: "other"},
		InvolvedObject: corev1.ObjectReference{Kind: "Kustomization", Namespace: ns, Name: "other"},
		Reason:         "Other", Message: "not about apps", Type: "Normal",
	})

	p := serve(t, nil, ui.Options{Namespace: ns})
	id := "Kustomization/" + ns + "/apps"
	p.waitNode(t, id, func(n *ui.Node) bool { return len(n.Inventory) == 2 })
	var objs []ui.InventoryObject
	p.getJSON(t, "/api/inventory?id="+id, &objs)
	got := map[string]string{}
	for _, o := range objs {
		got[o.Name] = o.Health
	}
	if got["settings"] != "Current" || got["gone"] != "NotFound" || len(got) != 2 {
		t.Errorf("inventory health = %v, want settings Current and gone NotFound", got)
	}
	var events []ui.Event
	p.getJSON(t, "/api/events?id="+id, &events)
	if len(events) != 2 || events[0].Reason != "BuildFailed" || events[0].Type != "Warning" || events[1].Reason != "ReconciliationSucceeded" {
		t.Errorf("events = %+v, want BuildFailed then ReconciliationSucceeded", events)
	}
	if resp := p.request(t, http.MethodGet, "/api/events?id=Kustomization/"+ns+"/nothing", ""); resp.StatusCode != http.StatusNotFound {
		t.Errorf("events of an object not in the graph: %s, want 404", resp.Status)
	}
}

// TestUserWithoutPatchRights runs the page as a user who may read Kustomizations in one
// namespace and nothing else: the node is there but may not be patched, the kinds the user
// may not list are named in the warnings.
func TestUserWithoutPatchRights(t *testing.T) {
	ns := testenv.NewNamespace(t, env.Client)
	create(t, kustomization(ns, "apps"))
	create(t, &rbacv1.Role{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "viewer"},
		Rules: []rbacv1.PolicyRule{{APIGroups: []string{kustomizev1.GroupVersion.Group},
			Resources: []string{"kustomizations"}, Verbs: []string{"get", "list", "watch"}}},
	})
	create(t, &rbacv1.RoleBinding{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "viewer"},
		RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "Role", Name: "viewer"},
		Subjects:   []rbacv1.Subject{{Kind: rbacv1.UserKind, APIGroup: rbacv1.GroupName, Name: "viewer"}},
	})
	viewer := rest.CopyConfig(env.Config)
	viewer.Impersonate = rest.ImpersonationConfig{UserName: "viewer"}

	p := serve(t, viewer, ui.Options{Namespace: ns})
	nodes, snap := p.graph(t)
	n, ok := nodes["Kustomization/"+ns+"/apps"]
	if !ok {
		t.Fatalf("the viewer does not see the Kustomization; warnings: %v", snap.Warnings)
	}
	if n.CanPatch {
		t.Error("the viewer may patch the Kustomization, according to the page")
	}
	if !strings.Contains(strings.Join(snap.Warnings, "\n"), "GitRepository: cannot be listed") {
		t.Errorf("warnings = %v, want GitRepository named as not listable", snap.Warnings)
	}
	admin := serve(t, nil, ui.Options{Namespace: ns})
	if nodes, _ := admin.graph(t); !nodes["Kustomization/"+ns+"/apps"].CanPatch {
		t.Error("the administrator may not patch the Kustomization, according to the page")
	}
}

// TestReadOnly checks that a read-only page refuses every action.
func TestReadOnly(t *testing.T) {
	ns := testenv.NewNamespace(t, env.Client)
	create(t, kustomization(ns, "apps"))
	p := serve(t, nil, ui.Options{Namespace: ns})
	if _, snap := p.graph(t); !snap.ReadOnly {
		t.Error("a page without actions does not say it is read-only")
	}
	resp := p.request(t, http.MethodPost, "/api/actions", `{"action":"suspend","id":"Kustomization/`+ns+`/apps"}`)
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden {
		t.Errorf("an action on a read-only page: %s, want 403", resp.Status)
	}
}
