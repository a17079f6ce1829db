package events

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/ferry-gitops/ferry/shared/testing/testenv"
)

var env *testenv.Env

func TestMain(m *testing.M) {
	os.Exit(testenv.Run(m, testenv.Options{Setup: func(e *testenv.Env) error { env = e; return nil }}))
}

// TestEventRecordedAndForwarded records one event and checks both ends: a Kubernetes Event
// with the metadata as group-prefixed annotations, and a POST in Flux's event format to
// --events-addr.
func TestEventRecordedAndForwarded(t *testing.T) {
	received := make(chan Event, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var ev Event
		if err := json.NewDecoder(r.Body).Decode(&ev); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		received <- ev
		w.WriteHeader(http.StatusAccepted)
	}))
	defer srv.Close()

	rec, err := NewRecorder(env.Config, env.Scheme, "test-controller", srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	ns := testenv.NewNamespace(t, env.Client)
	// A ConfigMap stands in for a toolkit object: its group is the core group "".
	obj := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "subject", Namespace: ns}}
	if err := env.Client.Create(context.Background(), obj); err != nil {
		t.Fatal(err)
	}
	rec.Event(context.Background(), obj, corev1.EventTypeWarning, "BuildFailed", "kustomize build failed", map[string]string{"revision": "main@sha1:abc"})

	select {
	case ev := <-received:
		if ev.Severity != SeverityError || ev.Reason != "BuildFailed" || ev.Message != "kustomize build failed" ||
			ev.Metadata["revision"] != "main@sha1:abc" || ev.ReportingController != "test-controller" ||
			ev.InvolvedObject.Kind != "ConfigMap" || ev.InvolvedObject.Name != "subject" || ev.InvolvedObject.Namespace != ns {
			t.Fatalf("unexpected event: %+v", ev)
		}
	case <-time.After(testenv.Timeout):
		t.Fatal("no event was POSTed to --events-addr")
	}

	deadline := time.Now().Add(testenv.Timeout)
	for {
		var list corev1.EventList
		if err := env.Client.List(context.Background(), &list, client.InNamespace(ns)); err != nil {
			t.Fatal(err)
		}
		for _, e := range list.Items {
			if e.Reason == "BuildFailed" && e.Type == corev1.EventTypeWarning && e.Annotations["revision"] == "main@sha1:abc" {
				return
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("no Kubernetes Event with the revision annotation; have %+v", list.Items)
		}
		time.Sleep(testenv.Interval)
	}
}

// TestMetadataKeys: metadata goes out with the group prefix Flux's controllers write, and
// comes back without it; keys of another group are left out, keys without a prefix kept.
func TestMetadataKeys(t *testing.T) {
	const group = "kustomize.toolkit.fluxcd.io"
	out := Prefixed(group, map[string]string{"revision": "main@sha1:abc"})
	if len(out) != 1 || out[group+"/revision"] != "main@sha1:abc" {
		t.Fatalf("Prefixed = %v", out)
	}
	if core := Prefixed("", map[string]string{"revision": "r"}); core["revision"] != "r" {
		t.Fatalf("Prefixed for the core group = %v", core)
	}
	tests := []struct {
		name string
		in   map[string]string
		want map[string]string
	}{
		{name: "own group", in: map[string]string{group + "/revision": "r"}, want: map[string]string{"revision": "r"}},
		{name: "other group", in: map[string]string{"helm.toolkit.fluxcd.io/revision": "r"}, want: map[string]string{}},
		{name: "no prefix", in: map[string]string{"summary": "s"}, want: map[string]string{"summary": "s"}},
		{name: "empty", in: nil, want: map[string]string{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := MetadataOf(group, tt.in)
			if len(got) != len(tt.want) {
				t.Fatalf("MetadataOf = %v, want %v", got, tt.want)
			}
			for k, v := range tt.want {
				if got[k] != v {
					t.Fatalf("MetadataOf = %v, want %v", got, tt.want)
				}
			}
		})
	}
}
