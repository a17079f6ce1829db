package event

import (
	"encoding/json"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/ferry-gitops/ferry/shared/runtime/events"
)

const group = "kustomize.toolkit.fluxcd.io"

var involved = corev1.ObjectReference{Kind: "Kustomization", Name: "apps", Namespace: "flux-system",
	APIVersion: group + "/v1", UID: "uid-1", ResourceVersion: "77"}

// kubeEvent is the Kubernetes Event a toolkit controller records for a failed build.
func kubeEvent(rv string) *corev1.Event {
	return &corev1.Event{
		ObjectMeta: metav1.ObjectMeta{Name: "apps.1", Namespace: "flux-system", ResourceVersion: rv,
			Annotations: map[string]string{group + "/revision": "main@sha1:abc", "helm.toolkit.fluxcd.io/x": "y"}},
		InvolvedObject: involved, Type: corev1.EventTypeWarning, Reason: "BuildFailed", Message: "build failed",
		Source: corev1.EventSource{Component: "kustomize-controller"}, LastTimestamp: metav1.NewTime(time.Unix(100, 0)),
	}
}

// posted is the same event as the controller POSTs it.
func posted() []byte {
	b, _ := json.Marshal(events.Event{InvolvedObject: involved, Severity: events.SeverityError, Reason: "BuildFailed",
		Message: "build failed", Metadata: events.Prefixed(group, map[string]string{"revision": "main@sha1:abc"}),
		ReportingController: "kustomize-controller", ReportingInstance: "pod-1", Timestamp: time.Unix(101, 0)})
	return b
}

// TestTwinsHaveOneFingerprint: the Kubernetes Event and the POST of one event read the same,
// and a different message is a different event.
func TestTwinsHaveOneFingerprint(t *testing.T) {
	k, ok, err := FromKubernetes(kubeEvent("12"))
	if err != nil || !ok {
		t.Fatalf("FromKubernetes: %v %v", ok, err)
	}
	h, err := FromJSON(posted())
	if err != nil {
		t.Fatal(err)
	}
	if k.Event.Severity != events.SeverityError || k.Event.Metadata["revision"] != "main@sha1:abc" || len(k.Event.Metadata) != 1 ||
		k.ResourceVersion != 12 || k.Event.ReportingController != "kustomize-controller" {
		t.Fatalf("FromKubernetes read %+v", k)
	}
	if k.Fingerprint != h.Fingerprint {
		t.Fatalf("fingerprints differ: %s (api) %s (http)", k.Fingerprint, h.Fingerprint)
	}
	other := kubeEvent("13")
	other.Message = "build failed again"
	o, _, _ := FromKubernetes(other)
	if o.Fingerprint == k.Fingerprint {
		t.Fatal("a different message has the same fingerprint")
	}
	cm := kubeEvent("14")
	cm.InvolvedObject.APIVersion = "v1"
	if _, ok, _ := FromKubernetes(cm); ok {
		t.Fatal("an event about a core object was read as a toolkit event")
	}
}

// TestFromJSONRefuses events that do not say what, about what, and how bad.
func TestFromJSONRefuses(t *testing.T) {
	for name, body := range map[string]string{
		"not json":        `{`,
		"no object":       `{"severity":"info","reason":"R","message":"m"}`,
		"not the toolkit": `{"involvedObject":{"kind":"Pod","name":"p","namespace":"n","apiVersion":"v1"},"severity":"info","reason":"R","message":"m"}`,
		"bad severity":    `{"involvedObject":{"kind":"Kustomization","name":"a","namespace":"n","apiVersion":"kustomize.toolkit.fluxcd.io/v1"},"severity":"warn","reason":"R","message":"m"}`,
		"no message":      `{"involvedObject":{"kind":"Kustomization","name":"a","namespace":"n","apiVersion":"kustomize.toolkit.fluxcd.io/v1"},"severity":"info","reason":"R"}`,
	} {
		if _, err := FromJSON([]byte(body)); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

// TestFromJSONAcceptsEveryAlertKind: every kind an Alert's eventSources can name is accepted,
// ArtifactGenerator (source.extensions.fluxcd.io) among them.
func TestFromJSONAcceptsEveryAlertKind(t *testing.T) {
	for kind, apiVersion := range map[string]string{
		"Kustomization":     "kustomize.toolkit.fluxcd.io/v1",
		"GitRepository":     "source.toolkit.fluxcd.io/v1",
		"ExternalArtifact":  "source.toolkit.fluxcd.io/v1",
		"ArtifactGenerator": "source.extensions.fluxcd.io/v1beta1",
		"ImagePolicy":       "image.toolkit.fluxcd.io/v1",
	} {
		body := `{"involvedObject":{"kind":"` + kind + `","name":"a","namespace":"n","apiVersion":"` + apiVersion + `"},"severity":"info","reason":"R","message":"m"}`
		if _, err := FromJSON([]byte(body)); err != nil {
			t.Errorf("%s: %v", kind, err)
		}
	}
	for _, apiVersion := range []string{"extensions.fluxcd.io/v1", "source.extensions.example.com/v1"} {
		body := `{"involvedObject":{"kind":"X","name":"a","namespace":"n","apiVersion":"` + apiVersion + `"},"severity":"info","reason":"R","message":"m"}`
		if _, err := FromJSON([]byte(body)); err == nil {
			t.Errorf("%s: accepted", apiVersion)
		}
	}
}

// TestTwins pairs one copy from each source and no more; repeats from one source are not
// twins; pairs expire after the window; waiting POSTs survive Export and Import.
func TestTwins(t *testing.T) {
	now := time.Unix(1000, 0)
	tw := NewTwins(time.Minute)
	tw.now = func() time.Time { return now }
	api := Record{Source: FromAPI, Fingerprint: "f"}
	http := Record{Source: FromHTTP, Fingerprint: "f"}
	steps := []struct {
		r    Record
		twin bool
	}{
		{http, false}, {api, true}, // a pair
		{http, false}, {http, false}, // a repeat through one source is two events
		{api, true}, {api, true}, {api, false}, // both paired, then a third event
	}
	for i, s := range steps {
		if got := tw.Twin(s.r); got != s.twin {
			t.Fatalf("step %d (%s): twin = %v, want %v", i, s.r.Source, got, s.twin)
		}
	}
	now = now.Add(2 * time.Minute)
	if tw.Twin(http) {
		t.Fatal("an expired event paired")
	}
	saved := tw.Export()
	if len(saved) != 1 || saved[0].Count != 1 {
		t.Fatalf("Export = %+v", saved)
	}
	restored := NewTwins(time.Minute)
	restored.now = tw.now
	restored.Import(saved)
	if !restored.Twin(api) {
		t.Fatal("the Kubernetes Event of a POST delivered before a restart was not recognised")
	}
}

// FuzzFromJSON: whatever is POSTed, reading it does not panic, and what is accepted names a
// toolkit object with a valid severity.
func FuzzFromJSON(f *testing.F) {
	f.Add(posted())
	f.Add([]byte(`{}`))
	f.Add([]byte(`{"involvedObject":{"apiVersion":"a.toolkit.fluxcd.io"}}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		r, err := FromJSON(body)
		if err != nil {
			return
		}
		if !IsToolkit(r.Event.InvolvedObject.APIVersion) || (r.Event.Severity != "info" && r.Event.Severity != "error") || r.Fingerprint == "" {
			t.Fatalf("accepted %+v", r)
		}
	})
}
