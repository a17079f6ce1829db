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
	rec, received := forwardingRecorder(t)
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
		{name: "object annotation keeps its prefix", in: map[string]string{ObjectMetadataPrefix + "change_request": "42", group + "/revision": "r"},
			want: map[string]string{ObjectMetadataPrefix + "change_request": "42", "revision": "r"}},
		{name: "bare object prefix", in: map[string]string{ObjectMetadataPrefix: "x"}, want: map[string]string{}},
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

// TestEventCarriesObjectMetadata: the object's event.toolkit.fluxcd.io/ annotations travel,
// keys unchanged, in both the POSTed event and the Kubernetes Event; other annotations do not.
func TestEventCarriesObjectMetadata(t *testing.T) {
	rec, received := forwardingRecorder(t)
	ns := testenv.NewNamespace(t, env.Client)
	obj := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "subject", Namespace: ns, Annotations: map[string]string{
		"event.toolkit.fluxcd.io/change_request": "42",
		"example.com/unrelated":                  "no",
	}}}
	if err := env.Client.Create(context.Background(), obj); err != nil {
		t.Fatal(err)
	}
	rec.Event(context.Background(), obj, corev1.EventTypeNormal, "ReconciliationSucceeded", "applied", map[string]string{"revision": "main@sha1:abc"})

	want := map[string]string{"event.toolkit.fluxcd.io/change_request": "42", "revision": "main@sha1:abc"}
	select {
	case ev := <-received:
		if !sameMap(ev.Metadata, want) {
			t.Fatalf("POSTed metadata = %v, want %v", ev.Metadata, want)
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
			if e.Reason == "ReconciliationSucceeded" && sameMap(e.Annotations, want) {
				return
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("no Kubernetes Event with annotations %v; have %+v", want, list.Items)
		}
		time.Sleep(testenv.Interval)
	}
}

// TestWithObjectMetadata: only keys with something after the prefix are copied, and a key the
// controller set is never replaced by an annotation.
func TestWithObjectMetadata(t *testing.T) {
	const group = "kustomize.toolkit.fluxcd.io"
	tests := []struct {
		name        string
		metadata    map[string]string
		annotations map[string]string
		want        map[string]string
	}{
		{
			name:        "copied with the prefix",
			metadata:    map[string]string{group + "/revision": "r"},
			annotations: map[string]string{ObjectMetadataPrefix + "change_request": "42"},
			want:        map[string]string{group + "/revision": "r", ObjectMetadataPrefix + "change_request": "42"},
		},
		{
			name:        "other annotations left out",
			annotations: map[string]string{"example.com/a": "x", "plain": "y", ObjectMetadataPrefix: "empty key", "event.toolkit.fluxcd.io": "no slash"},
			want:        map[string]string{},
		},
		{
			name:        "controller key wins",
			metadata:    map[string]string{ObjectMetadataPrefix + "revision": "controller"},
			annotations: map[string]string{ObjectMetadataPrefix + "revision": "annotation"},
			want:        map[string]string{ObjectMetadataPrefix + "revision": "controller"},
		},
		{name: "nothing", want: map[string]string{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := WithObjectMetadata(tt.metadata, tt.annotations); !sameMap(got, tt.want) {
				t.Fatalf("WithObjectMetadata = %v, want %v", got, tt.want)
			}
		})
	}
}

// TestSplitObjectMetadata: keys copied from annotations come back without their prefix, apart
// from the controller's, even where the two name the same key.
func TestSplitObjectMetadata(t *testing.T) {
	own, object := SplitObjectMetadata(map[string]string{
		"revision":                              "r",
		ObjectMetadataPrefix + "revision":       "from annotation",
		ObjectMetadataPrefix + "change_request": "42",
	})
	if !sameMap(own, map[string]string{"revision": "r"}) {
		t.Fatalf("own = %v", own)
	}
	if !sameMap(object, map[string]string{"revision": "from annotation", "change_request": "42"}) {
		t.Fatalf("object = %v", object)
	}
}

func sameMap(got, want map[string]string) bool {
	if len(got) != len(want) {
		return false
	}
	for k, v := range want {
		if g, ok := got[k]; !ok || g != v {
			return false
		}
	}
	return true
}

// forwardingRecorder returns a recorder that POSTs to a local events endpoint, and the channel
// of the events that endpoint received.
func forwardingRecorder(t *testing.T) (*Recorder, <-chan Event) {
	t.Helper()
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
	t.Cleanup(srv.Close)
	rec, err := NewRecorder(env.Config, env.Scheme, "test-controller", srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	return rec, received
}
