package main

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"

	"github.com/ferry-gitops/ferry/notification-controller/internal/notifier"
	fluxmeta "github.com/ferry-gitops/ferry/shared/api/meta"
	notificationv1beta3 "github.com/ferry-gitops/ferry/shared/api/notification/v1beta3"
	"github.com/ferry-gitops/ferry/shared/runtime/events"
	"github.com/ferry-gitops/ferry/shared/testing/pki"
	"github.com/ferry-gitops/ferry/shared/testing/testenv"
)

// TestAzureEventHubAlert: an azureeventhub Provider whose Secret holds an event hub's
// connection string sends an Alert's event to the hub's REST API, as Flux's JSON event,
// with a shared access signature the hub (a local TLS server trusted through
// certSecretRef) recomputes with the policy's key.
func TestAzureEventHubAlert(t *testing.T) {
	const key = "cG9saWN5LWtleS1vZi10aGUtZXZlbnQtaHVi"
	ns := testenv.NewNamespace(t, env.Client)
	ca, err := pki.NewCA()
	if err != nil {
		t.Fatal(err)
	}
	pair, err := ca.IssueServer("127.0.0.1")
	if err != nil {
		t.Fatal(err)
	}
	received := make(chan events.Event, 4)
	hub := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		fields, _ := url.ParseQuery(strings.TrimPrefix(r.Header.Get("Authorization"), "SharedAccessSignature "))
		mac := hmac.New(sha256.New, []byte(key))
		mac.Write([]byte(url.QueryEscape(fields.Get("sr")) + "\n" + fields.Get("se")))
		if fields.Get("sr") != "https://flux-events.servicebus.windows.net/deployments" || fields.Get("skn") != "send-only" ||
			fields.Get("sig") != base64.StdEncoding.EncodeToString(mac.Sum(nil)) {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		var ev events.Event
		if r.URL.Path != "/deployments/messages" || json.Unmarshal(body, &ev) != nil {
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		received <- ev
		w.WriteHeader(http.StatusCreated)
	}))
	hub.TLS = ca.ServerConfig(pair, false)
	hub.StartTLS()
	t.Cleanup(hub.Close)
	t.Setenv(notifier.TestEventHubsEndpointEnv, hub.Listener.Addr().String())

	startController(t, ns, flags{})
	create(t, &corev1.Secret{ObjectMeta: objectMeta(ns, "hub"), StringData: map[string]string{"address": "Endpoint=sb://flux-events.servicebus.windows.net/;" +
		"SharedAccessKeyName=send-only;SharedAccessKey=" + key + ";EntityPath=deployments"}})
	create(t, &corev1.Secret{ObjectMeta: objectMeta(ns, "ca"), Data: map[string][]byte{"ca.crt": ca.CertPEM}})
	create(t, &notificationv1beta3.Provider{ObjectMeta: objectMeta(ns, "hub"), Spec: notificationv1beta3.ProviderSpec{
		Type:          notificationv1beta3.AzureEventHubProvider,
		SecretRef:     &fluxmeta.LocalObjectReference{Name: "hub"},
		CertSecretRef: &fluxmeta.LocalObjectReference{Name: "ca"},
	}})
	alertFor(t, ns, "to-hub", "hub")
	kubeEvent(t, ns, "apps", corev1.EventTypeWarning, "BuildFailed", "kustomize build failed", map[string]string{"revision": "main@sha1:0002"})

	g := NewWithT(t)
	var ev events.Event
	g.Eventually(received, testenv.Timeout).Should(Receive(&ev))
	g.Expect(ev.Reason).To(Equal("BuildFailed"))
	g.Expect(ev.InvolvedObject.Name).To(Equal("apps"))
	g.Expect(ev.Metadata).To(HaveKeyWithValue("revision", "main@sha1:0002"))
}
