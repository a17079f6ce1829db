package build

import "testing"

// BenchmarkCacheEncode measures what keeping one build in the cache costs: encoding the five
// objects of an application and decoding them back, as a cache hit does.
func BenchmarkCacheEncode(b *testing.B) {
	raw := [][]byte{
		[]byte(`{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"app-config","namespace":"default"},"data":{"app":"app"}}`),
		[]byte(`{"apiVersion":"v1","kind":"Secret","metadata":{"name":"app-secret","namespace":"default"},"stringData":{"token":"app"}}`),
		[]byte(`{"apiVersion":"v1","kind":"ServiceAccount","metadata":{"name":"app","namespace":"default"}}`),
		[]byte(`{"apiVersion":"v1","kind":"Service","metadata":{"name":"app","namespace":"default"},"spec":{"clusterIP":"None","ports":[{"port":80}]}}`),
		[]byte(`{"apiVersion":"rbac.authorization.k8s.io/v1","kind":"Role","metadata":{"name":"app","namespace":"default"},"rules":[{"apiGroups":[""],"resources":["configmaps"],"verbs":["get"]}]}`),
	}
	b.ReportAllocs()
	for b.Loop() {
		data, err := encode(raw)
		if err != nil {
			b.Fatal(err)
		}
		objs, err := decode(data)
		if err != nil || len(objs) != len(raw) {
			b.Fatalf("decoded %d objects: %v", len(objs), err)
		}
	}
}
