package receiver

import (
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"strings"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	fluxmeta "github.com/ferry-gitops/ferry/shared/api/meta"
	notificationv1 "github.com/ferry-gitops/ferry/shared/api/notification/v1"
	sourcev1 "github.com/ferry-gitops/ferry/shared/api/source/v1"
	"github.com/ferry-gitops/ferry/shared/testing/statuscheck"
	"github.com/ferry-gitops/ferry/shared/testing/testenv"
)

// TestWebhookPath: the path is /hook/<sha256 of token, name and namespace>, as Flux computes
// it, and the Ready message names it.
func TestWebhookPath(t *testing.T) {
	ns := testenv.NewNamespace(t, env.Client)
	recv := newReceiver(t, ns, "generic", map[string]string{"token": token}, nil, byName("app"))
	sum := sha256.Sum256([]byte(token + "generic" + ns))
	want := "/hook/" + hex.EncodeToString(sum[:])
	g := NewWithT(t)
	g.Expect(recv.Status.WebhookPath).To(Equal(want))
	g.Expect(send(t, "/hook/"+strings.Repeat("0", 64), nil, nil)).To(Equal(http.StatusNotFound))
	g.Expect(send(t, "/elsewhere", nil, nil)).To(Equal(http.StatusNotFound))
}

// TestGitHubPingAndEvents: a ping and an event spec.events leaves out are answered 200
// without reconciling anything; a push is acted on.
func TestGitHubPingAndEvents(t *testing.T) {
	ns := testenv.NewNamespace(t, env.Client)
	gitRepository(t, ns, "app", nil)
	recv := newReceiver(t, ns, "github", map[string]string{"token": token},
		func(r *notificationv1.Receiver) { r.Spec.Events = []string{"push"} }, byName("app"))
	sign := func(event, body string) map[string]string {
		return map[string]string{"X-GitHub-Event": event, "X-Hub-Signature-256": "sha256=" + hexMAC(sha256.New, token, body)}
	}
	g := NewWithT(t)
	g.Expect(send(t, recv.Status.WebhookPath, []byte(`{"zen":"x"}`), sign("ping", `{"zen":"x"}`))).To(Equal(http.StatusOK))
	g.Expect(send(t, recv.Status.WebhookPath, []byte(`{"action":"opened"}`), sign("issues", `{"action":"opened"}`))).To(Equal(http.StatusOK))
	g.Expect(requestedAt(t, ns, "app")).To(BeEmpty(), "a ping or a filtered event reconciled")
	g.Expect(send(t, recv.Status.WebhookPath, []byte(`{"ref":"x"}`), sign("push", `{"ref":"x"}`))).To(Equal(http.StatusOK))
	g.Expect(requestedAt(t, ns, "app")).NotTo(BeEmpty())
}

// TestResourceSelection: "*" with matchLabels selects by labels; spec.resourceFilter (CEL
// over res and req) narrows every resource, a resource's own filter narrows it alone; a
// resource may live in another namespace.
func TestResourceSelection(t *testing.T) {
	ns, other := testenv.NewNamespace(t, env.Client), testenv.NewNamespace(t, env.Client)
	for _, n := range []string{"web", "api", "db"} {
		team := "backend"
		if n == "web" {
			team = "frontend"
		}
		gitRepository(t, ns, n, map[string]string{"team": team})
	}
	gitRepository(t, other, "api", nil)
	gitRepository(t, other, "db", nil)
	all := notificationv1.ReceiverResource{CrossNamespaceObjectReference: notificationv1.CrossNamespaceObjectReference{
		Kind: sourcev1.GitRepositoryKind, Name: "*", MatchLabels: map[string]string{"team": "backend"}}}
	elsewhere := func(name string) notificationv1.ReceiverResource {
		r := byName(name)
		r.Namespace, r.Filter = other, `req.target.startsWith("a")`
		return r
	}
	recv := newReceiver(t, ns, "generic", map[string]string{"token": token},
		func(r *notificationv1.Receiver) {
			r.Spec.ResourceFilter = `res.metadata.name == req.target || res.metadata.namespace != "` + ns + `"`
		},
		all, elsewhere("api"), elsewhere("db"))
	g := NewWithT(t)
	g.Expect(send(t, recv.Status.WebhookPath, []byte(`{"target":"api"}`), nil)).To(Equal(http.StatusOK))
	g.Expect(requestedAt(t, ns, "api")).NotTo(BeEmpty())
	g.Expect(requestedAt(t, ns, "db")).To(BeEmpty(), "the filter let db through")
	g.Expect(requestedAt(t, ns, "web")).To(BeEmpty(), "matchLabels let web through")
	g.Expect(requestedAt(t, other, "api")).NotTo(BeEmpty(), "the resource in the other namespace was not reconciled")
	g.Expect(requestedAt(t, other, "db")).NotTo(BeEmpty())
	g.Expect(send(t, recv.Status.WebhookPath, []byte(`{"target":"db"}`), nil)).To(Equal(http.StatusOK))
	g.Expect(requestedAt(t, ns, "db")).NotTo(BeEmpty())
}

// TestInterval: a Receiver is reconciled again after spec.interval (ten minutes by default).
func TestInterval(t *testing.T) {
	k := (&state{r: &Reconciler{}}).kind()
	obj := &notificationv1.Receiver{}
	g := NewWithT(t)
	g.Expect(k.Interval(obj)).To(Equal(notificationv1.DefaultReceiverInterval))
	obj.Spec.Interval = &metav1.Duration{Duration: time.Minute}
	g.Expect(k.Interval(obj)).To(Equal(time.Minute))
}

// TestReceiverNotServing: a Receiver without its token waits (TokenNotFound) and serves no
// path; a bad filter stalls it; a suspended one answers 503.
func TestReceiverNotServing(t *testing.T) {
	ns := testenv.NewNamespace(t, env.Client)
	g := NewWithT(t)
	recv := newReceiver(t, ns, "gitlab", map[string]string{"token": token}, nil, byName("app"))
	statuscheck.Update(t, env.Client, recv, func(r *notificationv1.Receiver) { r.Spec.Suspend = true })
	eventually(t, func() int {
		return send(t, recv.Status.WebhookPath, []byte(`{}`), map[string]string{"X-Gitlab-Token": token, "X-Gitlab-Event": "Push Hook"})
	}).Should(Equal(http.StatusServiceUnavailable))

	bad := newReceiverObject(ns, "bad-filter", "nope")
	bad.Spec.ResourceFilter = "res.metadata.name =="
	g.Expect(env.Client.Create(t.Context(), bad)).To(Succeed())
	statuscheck.Stalled(t, env.Client, bad, notificationv1.InvalidConfigReason, "spec.resourceFilter does not compile")

	noToken := newReceiverObject(ns, "no-token", "absent")
	g.Expect(env.Client.Create(t.Context(), noToken)).To(Succeed())
	cur := statuscheck.NotReady(t, env.Client, noToken, notificationv1.TokenNotFoundReason, "absent")
	g.Expect(cur.Status.WebhookPath).To(BeEmpty())
}

// newReceiverObject is a generic Receiver of the Secret secret (not created).
func newReceiverObject(ns, name, secret string) *notificationv1.Receiver {
	r := &notificationv1.Receiver{}
	r.Name, r.Namespace = name, ns
	r.Spec = notificationv1.ReceiverSpec{Type: "generic", Resources: []notificationv1.ReceiverResource{byName("app")}}
	r.Spec.SecretRef = &fluxmeta.LocalObjectReference{Name: secret}
	return r
}
