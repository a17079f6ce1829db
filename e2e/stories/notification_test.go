package stories

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/ferry-gitops/ferry/e2e/fleet"
	"github.com/ferry-gitops/ferry/shared/testing/gitserver"
)

// slackMessage is what the local Slack server read from one incoming-webhook POST.
type slackMessage struct {
	Author, Text, Color string
	Fields              map[string]string
}

// slackServer stands in for Slack's incoming webhooks: it accepts POSTs of Slack's message
// format at /services/…, answers "ok" as Slack does, and refuses anything else.
type slackServer struct {
	*httptest.Server
	mu   sync.Mutex
	msgs []slackMessage
}

func newSlackServer(t *testing.T) *slackServer {
	s := &slackServer{}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var p struct {
			Channel     string `json:"channel"`
			Attachments []struct {
				Color      string `json:"color"`
				AuthorName string `json:"author_name"`
				Text       string `json:"text"`
				Fields     []struct{ Title, Value string }
			} `json:"attachments"`
		}
		body, _ := io.ReadAll(r.Body)
		if r.Method != http.MethodPost || !strings.HasPrefix(r.URL.Path, "/services/") ||
			json.Unmarshal(body, &p) != nil || len(p.Attachments) != 1 || p.Channel != "deployments" {
			http.Error(w, "invalid_payload", http.StatusBadRequest)
			return
		}
		a := p.Attachments[0]
		m := slackMessage{Author: a.AuthorName, Text: a.Text, Color: a.Color, Fields: map[string]string{}}
		for _, f := range a.Fields {
			m.Fields[f.Title] = f.Value
		}
		s.mu.Lock()
		s.msgs = append(s.msgs, m)
		s.mu.Unlock()
		_, _ = io.WriteString(w, "ok")
	}))
	t.Cleanup(s.Close)
	return s
}

// about returns the messages about one object.
func (s *slackServer) about(author string) []slackMessage {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []slackMessage
	for _, m := range s.msgs {
		if m.Author == author {
			out = append(out, m)
		}
	}
	return out
}

// TestStoryNotifications is seed 002's notifications and a push webhook: the seed's Slack
// Provider and Alert, applied as written, post to a local Slack-compatible server when a
// Kustomization is applied (green) and when a broken commit makes it fail (red, with the
// revision); then a GitHub push webhook, signed with the Receiver's token, makes the
// GitRepository fetch at once although its interval is an hour, and a forged one is refused.
func TestStoryNotifications(t *testing.T) {
	dumpLogsOnFailure(t)
	ns := fleet.Namespace
	slack := newSlackServer(t)
	step(t, "create Secret slack-webhook (address: the local Slack server) and apply seed 002's Provider and Alert")
	apply(t, secretObject(ns, "slack-webhook", map[string]string{"address": slack.URL + "/services/T000/B000/XXXX"}))
	provider, alert := seedObject(t, "Provider", "slack", ns), seedObject(t, "Alert", "deployment-alerts", ns)
	apply(t, provider, alert)

	repos, url := gitRepo(t, "notify", map[string]string{"deploy/settings.yaml": settingsManifest("v1")})
	repos.Branch(t, "notify", "main", "master")
	source := gitRepository(ns, "notify", url)
	unstructured.SetNestedField(source.Object, "1h", "spec", "interval")
	ks := kustomization(ns, "notify", "notify", "./deploy")
	apply(t, source, ks)
	deleteOnCleanup(t, ks, source, alert, provider)
	waitReady(t, ks)
	g := NewWithT(t)
	g.Eventually(func() []slackMessage { return slack.about("Kustomization/notify.flux-system") }, timeout, interval).
		Should(ContainElement(HaveField("Color", "good")))
	step(t, "Slack got a green message for Kustomization/notify.flux-system")

	step(t, "push a commit that breaks the build and ask the source to reconcile")
	broken := repos.Commit(t, "notify", "main", "break", map[string]string{"deploy/kustomization.yaml": "resources: [missing.yaml]\n"})
	requestReconcile(t, source)
	g.Eventually(func() []slackMessage { return slack.about("Kustomization/notify.flux-system") }, timeout, interval).
		Should(ContainElement(And(HaveField("Color", "danger"), HaveField("Fields", HaveKeyWithValue("revision", "main@sha1:"+broken)))))
	step(t, "Slack got a red message with revision main@sha1:%s", broken[:12])

	receiverStory(t, repos, source)
}

// receiverStory: a GitHub Receiver for the GitRepository; a push webhook makes it fetch.
func receiverStory(t *testing.T, repos *gitserver.Repos, source *unstructured.Unstructured) {
	ns := fleet.Namespace
	const token = "webhook-s3cret"
	step(t, "create a GitHub Receiver for GitRepository notify")
	recv := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "notification.toolkit.fluxcd.io/v1", "kind": "Receiver",
		"metadata": map[string]any{"name": "github-receiver", "namespace": ns},
		"spec": map[string]any{"type": "github", "events": []any{"ping", "push"}, "secretRef": map[string]any{"name": "receiver-token"},
			"resources": []any{map[string]any{"apiVersion": "source.toolkit.fluxcd.io/v1", "kind": "GitRepository", "name": "notify"}}},
	}}
	apply(t, secretObject(ns, "receiver-token", map[string]string{"token": token}), recv)
	deleteOnCleanup(t, recv)
	path, _, _ := unstructured.NestedString(waitReady(t, recv).Object, "status", "webhookPath")
	hook := "http://" + controllers.Process("notification-controller").ReceiverAddr + path

	fixed := repos.Commit(t, "notify", "main", "fix", map[string]string{"deploy/kustomization.yaml": ""})
	body := []byte(`{"ref":"refs/heads/main","after":"` + fixed + `"}`)
	send := func(key string) int {
		mac := hmac.New(sha256.New, []byte(key))
		mac.Write(body)
		req, _ := http.NewRequest(http.MethodPost, hook, bytes.NewReader(body))
		req.Header.Set("X-GitHub-Event", "push")
		req.Header.Set("X-Hub-Signature-256", "sha256="+hex.EncodeToString(mac.Sum(nil)))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	g := NewWithT(t)
	g.Expect(send("guessed")).To(Equal(http.StatusUnauthorized))
	step(t, "push a fix and send GitHub's push webhook, signed with the Receiver's token")
	g.Expect(send(token)).To(Equal(http.StatusOK))
	waitReady(t, source, hasRevision("main@sha1:"+fixed))
	step(t, "the GitRepository fetched main@sha1:%s at once (its interval is 1h)", fixed[:12])
}

// secretObject is a Secret with string data.
func secretObject(ns, name string, data map[string]string) *unstructured.Unstructured {
	sd := map[string]any{}
	for k, v := range data {
		sd[k] = v
	}
	return &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "v1", "kind": "Secret", "metadata": map[string]any{"name": name, "namespace": ns},
		"type": string(corev1.SecretTypeOpaque), "stringData": sd,
	}}
}

// settingsManifest is a ConfigMap in flux-system.
func settingsManifest(v string) string {
	return "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: notify-settings\n  namespace: flux-system\ndata:\n  version: " + v + "\n"
}
