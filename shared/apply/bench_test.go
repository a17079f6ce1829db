package apply

import (
	"fmt"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/ferry-gitops/ferry/shared/testing/testenv"
)

func hundredConfigMaps(b *testing.B, ns string) []*unstructured.Unstructured {
	docs := make([]string, 100)
	for i := range docs {
		docs[i] = configMap(ns, fmt.Sprintf("cm-%03d", i), "v")
	}
	return parse(b, docs...)
}

func BenchmarkApplyAll100ConfigMaps(b *testing.B) {
	m := NewManager(env.Client, owner, annotations)
	b.Run("first", func(b *testing.B) {
		for b.Loop() {
			b.StopTimer()
			ns := testenv.NewNamespace(b, env.Client)
			objs := hundredConfigMaps(b, ns)
			b.StartTimer()
			if _, err := m.ApplyAll(ctxFor(b), objs, Options{}); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("unchanged", func(b *testing.B) {
		objs := hundredConfigMaps(b, testenv.NewNamespace(b, env.Client))
		if _, err := m.ApplyAll(ctxFor(b), objs, Options{}); err != nil {
			b.Fatal(err)
		}
		for b.Loop() {
			cs, err := m.ApplyAll(ctxFor(b), objs, Options{})
			if err != nil || cs.Changed() {
				b.Fatalf("unchanged round: err %v, changed %v", err, cs.Changed())
			}
		}
	})
}
