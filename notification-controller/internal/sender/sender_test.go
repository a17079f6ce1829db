package sender

import (
	"context"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/ferry-gitops/ferry/notification-controller/internal/notifier"
	notificationv1beta3 "github.com/ferry-gitops/ferry/shared/api/notification/v1beta3"
)

// TestFromSecret: each key of the Secret overrides the spec; headers are a YAML map.
func TestFromSecret(t *testing.T) {
	cfg := notifier.Config{Address: "https://spec", Username: "spec-user"}
	err := fromSecret(map[string][]byte{
		"address": []byte("https://secret"), "username": []byte("bot"), "token": []byte("t"), "password": []byte("p"),
		"proxy": []byte("http://proxy:3128"), "headers": []byte("Authorization: my-api-token\nX-Forwarded-Proto: https\n"),
	}, &cfg)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Address != "https://secret" || cfg.Username != "bot" || cfg.Token != "t" || cfg.Password != "p" ||
		cfg.Proxy.Host != "proxy:3128" || cfg.Headers["X-Forwarded-Proto"] != "https" || cfg.Headers["Authorization"] != "my-api-token" {
		t.Fatalf("config %+v", cfg)
	}
	if err := fromSecret(map[string][]byte{"headers": []byte("- a\n- b")}, &cfg); err == nil || strings.Contains(err.Error(), "- a") {
		t.Fatalf("headers that are not a map: err = %v", err)
	}
	if err := fromSecret(map[string][]byte{"proxy": []byte("ftp://user:pw@x")}, &cfg); err == nil || strings.Contains(err.Error(), "pw") {
		t.Fatalf("a bad proxy: err = %v (must not quote it)", err)
	}
}

// TestStatusExpr evaluates commitStatusExpr over the event, the Provider and the Alert, and
// refuses expressions that do not compile or do not return a string.
func TestStatusExpr(t *testing.T) {
	p := &notificationv1beta3.Provider{ObjectMeta: metav1.ObjectMeta{Name: "github", UID: "0c9c2e41-x"}}
	a := &notificationv1beta3.Alert{ObjectMeta: metav1.ObjectMeta{Name: "status"}}
	ev := notifier.Event{InvolvedObject: corev1.ObjectReference{Kind: "Kustomization", Name: "apps"},
		Metadata: map[string]string{"clusterName": "prod"}}
	e, err := CompileStatusExpr("(event.involvedObject.kind + '/' + event.involvedObject.name).lowerAscii() + '/' + event.metadata.clusterName + '/' + provider.metadata.name + '/' + alert.metadata.name")
	if err != nil {
		t.Fatal(err)
	}
	id, err := e.Evaluator(p)(WithAlert(context.Background(), a), ev)
	if err != nil || id != "kustomization/apps/prod/github/status" {
		t.Fatalf("id = %q, %v", id, err)
	}
	for _, bad := range []string{"event.", "1 + 1", "event.involvedObject.kind == 'x'"} {
		if _, err := CompileStatusExpr(bad); err == nil {
			t.Errorf("%q compiled", bad)
		}
	}
	dyn, err := CompileStatusExpr("event.metadata.missing")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := dyn.Evaluator(p)(context.Background(), ev); err == nil {
		t.Error("a missing key evaluated")
	}
}

// TestWithAlert: the Alert of a delivery reaches the notifiers that name it.
func TestWithAlert(t *testing.T) {
	a := &notificationv1beta3.Alert{ObjectMeta: metav1.ObjectMeta{Namespace: "flux-system", Name: "traces", UID: "alert-uid"}}
	got, ok := notifier.AlertOf(WithAlert(context.Background(), a))
	if !ok || got != (notifier.Alert{Namespace: "flux-system", Name: "traces", UID: "alert-uid"}) {
		t.Fatalf("AlertOf = %+v, %v", got, ok)
	}
	if _, ok := notifier.AlertOf(WithAlert(context.Background(), nil)); ok {
		t.Fatal("a delivery without an Alert carries one")
	}
}
