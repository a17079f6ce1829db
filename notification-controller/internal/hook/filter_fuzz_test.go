package hook

import (
	"encoding/json"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// refFilter is a filter whose verdict the fuzz target computes on its own.
const refFilter = `has(req.ref) && req.ref == "refs/heads/main"`

// FuzzFilter evaluates a Receiver's resource filter (CEL from spec) over a webhook payload
// (JSON from the sender). Whatever the expression and payload: no panic, the cost limit ends
// every evaluation, and two evaluations agree; and the reference filter accepts exactly the
// payloads whose ref is refs/heads/main.
func FuzzFilter(f *testing.F) {
	f.Add(refFilter, `{"ref":"refs/heads/main"}`)
	f.Add(`res.metadata.name.startsWith(req.prefix)`, `{"prefix":"ap"}`)
	f.Add(`req.items.all(i, i.size() > 0)`, `{"items":["a",""]}`)
	f.Add(`[1,2,3].map(x, [1,2,3].map(y, [1,2,3].map(z, x*y*z))).size() > 0`, `{}`)
	f.Add(`req.a.b.c`, `{"a":{"b":{"c":true}}}`)
	f.Add(`"x".repeat(1000000000) != ""`, `null`)
	res := &metav1.PartialObjectMetadata{TypeMeta: metav1.TypeMeta{APIVersion: "source.toolkit.fluxcd.io/v1", Kind: "GitRepository"},
		ObjectMeta: metav1.ObjectMeta{Name: "app", Namespace: "ns", Labels: map[string]string{"a": "b"}}}
	ref, err := CompileFilter("spec.resourceFilter", refFilter)
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, expr, body string) {
		var payload map[string]any
		if json.Unmarshal([]byte(body), &payload) != nil {
			payload = nil
		}
		if ok, err := ref.Accepts(res, payload, nil); err != nil || ok != (payload["ref"] == "refs/heads/main") {
			t.Fatalf("the ref filter gave %v, %v for %s", ok, err, body)
		}
		flt, err := CompileFilter("spec.resourceFilter", expr)
		if err != nil {
			return
		}
		ok1, err1 := flt.Accepts(res, payload, payload)
		ok2, err2 := flt.Accepts(res, payload, payload)
		if ok1 != ok2 || (err1 == nil) != (err2 == nil) {
			t.Fatalf("%q gave %v, %v then %v, %v", expr, ok1, err1, ok2, err2)
		}
	})
}
