package surface

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"testing"

	jsonpatch "github.com/evanphx/json-patch/v5"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/util/wait"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"

	"github.com/ferry-gitops/ferry/shared/runtime/unsupported"
	"github.com/ferry-gitops/ferry/shared/testing/testenv"
)

// bases are minimal valid specs of every kind: a refusal test sets one field on top.
var bases = map[string]string{
	"GitRepository":         `{"url":"https://127.0.0.1:1/repo.git","interval":"1h"}`,
	"OCIRepository":         `{"url":"oci://127.0.0.1:1/repo","interval":"1h"}`,
	"HelmRepository":        `{"url":"https://127.0.0.1:1/charts","interval":"1h"}`,
	"HelmChart":             `{"chart":"app","sourceRef":{"kind":"HelmRepository","name":"repo"},"interval":"1h"}`,
	"Bucket":                `{"bucketName":"bucket","endpoint":"127.0.0.1:1","interval":"1h"}`,
	"ArtifactGenerator":     `{"sources":[{"alias":"repo","kind":"GitRepository","name":"repo"}],"artifacts":[{"name":"app","copy":[{"from":"@repo/**","to":"@artifact/"}]}]}`,
	"Kustomization":         `{"interval":"1h","prune":false,"sourceRef":{"kind":"GitRepository","name":"repo"}}`,
	"HelmRelease":           `{"interval":"1h","chart":{"spec":{"chart":"app","sourceRef":{"kind":"HelmRepository","name":"repo"}}}}`,
	"ImageRepository":       `{"image":"127.0.0.1:1/app","interval":"1h"}`,
	"ImagePolicy":           `{"imageRepositoryRef":{"name":"app"},"policy":{"semver":{"range":"1.x"}}}`,
	"ImageUpdateAutomation": `{"interval":"1h","sourceRef":{"kind":"GitRepository","name":"repo"},"git":{"commit":{"author":{"email":"a@example.com"}}},"update":{"strategy":"Setters","path":"./"}}`,
	"Provider":              `{"type":"generic","address":"https://127.0.0.1:1/hook"}`,
	"Alert":                 `{"providerRef":{"name":"p"},"eventSources":[{"kind":"GitRepository","name":"repo"}]}`,
	"Receiver":              `{"type":"generic","resources":[{"kind":"GitRepository","name":"repo"}],"secretRef":{"name":"token"}}`,
}

// statusless are the kinds without a status (notification's v1beta3 Provider and Alert): a
// refusal is a Warning event on the object instead of a Stalled condition.
var statusless = map[string]bool{"Provider": true, "Alert": true}

// Object returns the object of the row's kind whose spec is the kind's minimal spec with the
// row's Set merged in (a JSON merge patch), named name in namespace.
func Object(r Row, namespace, name string) (*unstructured.Unstructured, error) {
	base, ok := bases[r.Kind]
	if !ok {
		return nil, fmt.Errorf("no minimal %s to set %s on", r.Kind, r.Path)
	}
	spec, err := jsonpatch.MergePatch([]byte(base), []byte(r.Set))
	if err != nil {
		return nil, fmt.Errorf("%s %s: set %s: %w", r.Kind, r.Path, r.Set, err)
	}
	obj := &unstructured.Unstructured{Object: map[string]any{}}
	var specMap map[string]any
	if err := json.Unmarshal(spec, &specMap); err != nil {
		return nil, err
	}
	obj.Object["spec"] = specMap
	obj.SetAPIVersion(r.APIVersion)
	obj.SetKind(r.Kind)
	obj.SetNamespace(namespace)
	obj.SetName(name)
	if !unsupported.IsSet(obj.Object, r.Path) {
		return nil, fmt.Errorf("%s %s: set %s does not set the path", r.Kind, r.Path, r.Set)
	}
	return obj, nil
}

// CheckRefused sets every refused (or partly refused) path of kind, each on its own object in
// namespace, with c on an API server where the kind's controller runs, and fails the test
// unless every object becomes Stalled with a Ready=False message holding the row's message
// (for a kind without a status: gets a Warning event UnsupportedSpec with it).
// Rows that set the same spec share one object.
func CheckRefused(t *testing.T, c client.Client, namespace, kind string) {
	t.Helper()
	root, err := Root()
	if err != nil {
		t.Fatal(err)
	}
	rows, err := Rows(root)
	if err != nil {
		t.Fatal(err)
	}
	bySet := map[string][]Row{}
	whole := wholeKindRefused(rows, kind)
	for _, r := range rows {
		if r.Kind != kind || (r.Status != Refused && r.Status != Partly) {
			continue
		}
		if whole != nil {
			// A kind refused as a whole stalls its minimal object with one message.
			if r.Status != Refused || r.Message != whole.Message {
				t.Errorf("%s:%d: %s is refused as a whole; %s must be refused with the same message", DocPath, r.Line, kind, r.Path)
			}
			continue
		}
		bySet[r.Set] = append(bySet[r.Set], r)
	}
	if whole != nil {
		bySet[whole.Set] = []Row{*whole}
	}
	if len(bySet) == 0 {
		t.Logf("%s refuses no field", kind)
		return
	}
	sets := make([]string, 0, len(bySet))
	for s := range bySet {
		sets = append(sets, s)
	}
	sort.Strings(sets)
	ctx := context.Background()
	for i, set := range sets {
		group := bySet[set]
		obj, err := Object(group[0], namespace, fmt.Sprintf("refused-%d", i))
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range group[1:] {
			if !unsupported.IsSet(obj.Object, r.Path) {
				t.Fatalf("%s: set %s does not set %s", kind, set, r.Path)
			}
		}
		if err := c.Create(ctx, obj); err != nil {
			t.Fatalf("%s with %s: the API server refused it (fix the row's set): %v", kind, set, err)
		}
		wait := waitStalled
		if statusless[kind] {
			wait = waitWarned
		}
		msg, err := wait(ctx, c, obj)
		if err != nil {
			t.Errorf("%s with %s (%s): %v", kind, set, paths(group), err)
			continue
		}
		for _, r := range group {
			if !strings.Contains(msg, r.Message) {
				t.Errorf("%s %s (%s:%d): Stalled with %q, want a message holding %q", kind, r.Path, DocPath, r.Line, msg, r.Message)
			}
		}
	}
}

// wholeKindRefused returns the row of path "spec" of kind when it is refused: the kind is
// not reconciled at all, and every object of it is Stalled.
func wholeKindRefused(rows []Row, kind string) *Row {
	for i, r := range rows {
		if r.Kind == kind && r.Path == "spec" && r.Status == Refused {
			return &rows[i]
		}
	}
	return nil
}

// waitStalled waits until obj is Stalled=True and Ready=False at its generation and returns the
// Ready message.
func waitStalled(ctx context.Context, c client.Client, obj *unstructured.Unstructured) (string, error) {
	var msg, last string
	err := wait.PollUntilContextTimeout(ctx, testenv.Interval, testenv.Timeout, true, func(ctx context.Context) (bool, error) {
		cur := &unstructured.Unstructured{}
		cur.SetGroupVersionKind(obj.GroupVersionKind())
		if err := c.Get(ctx, client.ObjectKeyFromObject(obj), cur); err != nil {
			return false, nil
		}
		ready, stalled := condition(cur, "Ready"), condition(cur, "Stalled")
		last = describe(cur)
		observed, _, _ := unstructured.NestedInt64(cur.Object, "status", "observedGeneration")
		if observed != cur.GetGeneration() || stalled["status"] != "True" || ready["status"] != "False" {
			return false, nil
		}
		msg, _ = ready["message"].(string)
		return true, nil
	})
	if err != nil {
		return "", fmt.Errorf("not Stalled: %s", last)
	}
	return msg, nil
}

// waitWarned waits until a Warning event with reason UnsupportedSpec is recorded for obj and
// returns its message.
func waitWarned(ctx context.Context, c client.Client, obj *unstructured.Unstructured) (string, error) {
	var msg string
	err := wait.PollUntilContextTimeout(ctx, testenv.Interval, testenv.Timeout, true, func(ctx context.Context) (bool, error) {
		var list corev1.EventList
		if err := c.List(ctx, &list, client.InNamespace(obj.GetNamespace())); err != nil {
			return false, nil
		}
		for _, e := range list.Items {
			if e.InvolvedObject.Name == obj.GetName() && e.InvolvedObject.Kind == obj.GetKind() &&
				e.Type == corev1.EventTypeWarning && e.Reason == "UnsupportedSpec" {
				msg = e.Message
				return true, nil
			}
		}
		return false, nil
	})
	if err != nil {
		return "", fmt.Errorf("no Warning event UnsupportedSpec")
	}
	return msg, nil
}

func condition(obj *unstructured.Unstructured, kind string) map[string]any {
	list, _, _ := unstructured.NestedSlice(obj.Object, "status", "conditions")
	for _, c := range list {
		if m, ok := c.(map[string]any); ok && m["type"] == kind {
			return m
		}
	}
	return map[string]any{}
}

func describe(obj *unstructured.Unstructured) string {
	st, ok := obj.Object["status"]
	if !ok {
		return "no status"
	}
	b, _ := yaml.Marshal(st)
	return string(b)
}

func paths(rows []Row) string {
	out := make([]string, 0, len(rows))
	for _, r := range rows {
		out = append(out, r.Path)
	}
	return strings.Join(out, ", ")
}
