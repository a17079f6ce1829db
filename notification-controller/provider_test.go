package main

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"

	"github.com/ferry-gitops/ferry/notification-controller/internal/proxytest"
	fluxmeta "github.com/ferry-gitops/ferry/shared/api/meta"
	notificationv1beta3 "github.com/ferry-gitops/ferry/shared/api/notification/v1beta3"
	"github.com/ferry-gitops/ferry/shared/testing/pki"
	"github.com/ferry-gitops/ferry/shared/testing/testenv"
)

// TestProviderSecretsAndTLS: a generic-hmac Provider takes its address, token and headers
// from secretRef, trusts the private CA of certSecretRef and goes through the proxy of
// proxySecretRef; another one goes through the proxy of spec.proxy.
func TestProviderSecretsAndTLS(t *testing.T) {
	ns := testenv.NewNamespace(t, env.Client)
	ca, err := pki.NewCA()
	if err != nil {
		t.Fatal(err)
	}
	pair, err := ca.IssueServer("127.0.0.1")
	if err != nil {
		t.Fatal(err)
	}
	verdicts := make(chan string, 4)
	tlsSink := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		m := hmac.New(sha256.New, []byte("signing-key"))
		m.Write(body)
		switch {
		case r.Header.Get("X-Signature") != "sha256="+hex.EncodeToString(m.Sum(nil)):
			verdicts <- "bad signature"
		case r.Header.Get("X-Team") != "platform":
			verdicts <- "the secret's header is missing"
		default:
			verdicts <- "ok"
		}
		w.WriteHeader(http.StatusOK)
	}))
	tlsSink.TLS = ca.ServerConfig(pair, false)
	tlsSink.StartTLS()
	t.Cleanup(tlsSink.Close)
	viaSecret, viaSpec := proxytest.New(t, "px", "secret-pw"), proxytest.New(t, "spec", "spec-pw")
	plain := newSink(t)

	startController(t, ns, flags{})
	create(t, &corev1.Secret{ObjectMeta: objectMeta(ns, "creds"), StringData: map[string]string{
		"address": tlsSink.URL + "/hook", "token": "signing-key", "headers": "X-Team: platform\n"}})
	create(t, &corev1.Secret{ObjectMeta: objectMeta(ns, "ca"), Data: map[string][]byte{"ca.crt": ca.CertPEM}})
	create(t, &corev1.Secret{ObjectMeta: objectMeta(ns, "proxy"), StringData: map[string]string{
		"address": viaSecret.URL, "username": "px", "password": "secret-pw"}})
	genericProvider(t, ns, "tls", "https://overridden.invalid", func(p *notificationv1beta3.Provider) {
		p.Spec.Type = notificationv1beta3.GenericHMACProvider
		p.Spec.SecretRef = &fluxmeta.LocalObjectReference{Name: "creds"}
		p.Spec.CertSecretRef = &fluxmeta.LocalObjectReference{Name: "ca"}
		p.Spec.ProxySecretRef = &fluxmeta.LocalObjectReference{Name: "proxy"}
	})
	genericProvider(t, ns, "plain", plain.URL, func(p *notificationv1beta3.Provider) {
		p.Spec.Proxy = strings.Replace(viaSpec.URL, "://", "://spec:spec-pw@", 1)
	})
	alertFor(t, ns, "to-tls", "tls")
	alertFor(t, ns, "to-plain", "plain")
	kubeEvent(t, ns, "apps", corev1.EventTypeNormal, "ReconciliationSucceeded", "applied", nil)

	g := NewWithT(t)
	g.Eventually(verdicts, testenv.Timeout).Should(Receive(Equal("ok")))
	g.Eventually(plain.messages, testenv.Timeout, testenv.Interval).Should(HaveKey("applied"))
	g.Expect(viaSecret.Used()).To(BeNumerically(">=", 1), "proxySecretRef's proxy was not used")
	g.Expect(viaSpec.Used()).To(BeNumerically(">=", 1), "spec.proxy was not used")
}

// TestSuspendedProvider: a suspended Provider sends nothing; its Alert's events are not
// queued for later either.
func TestSuspendedProvider(t *testing.T) {
	ns := testenv.NewNamespace(t, env.Client)
	active, suspended := newSink(t), newSink(t)
	startController(t, ns, flags{})
	genericProvider(t, ns, "active", active.URL)
	genericProvider(t, ns, "suspended", suspended.URL, func(p *notificationv1beta3.Provider) { p.Spec.Suspend = true })
	alertFor(t, ns, "to-active", "active")
	alertFor(t, ns, "to-suspended", "suspended")
	kubeEvent(t, ns, "apps", corev1.EventTypeNormal, "ReconciliationSucceeded", "applied", nil)
	waitWatermark(t, ns, lastEventRV(t, ns))
	g := NewWithT(t)
	g.Expect(active.messages()).To(Equal(map[string]int{"applied": 1}))
	g.Expect(suspended.count()).To(BeZero())
}
