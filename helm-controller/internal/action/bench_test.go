package action

import (
	"context"
	"fmt"
	"runtime"
	"strings"
	"testing"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/ferry-gitops/ferry/shared/testing/rss"
	"github.com/ferry-gitops/ferry/shared/testing/testenv"
)

// benchReleases is how many releases each benchmark round installs.
const benchReleases = 20

// benchCRD returns CRD i of the extra CRDs, in a group of its own, with a schema of 40
// described properties so that the cluster's OpenAPI document grows as with real CRDs.
func benchCRD(i int) *apiextensionsv1.CustomResourceDefinition {
	props := map[string]apiextensionsv1.JSONSchemaProps{}
	for p := 0; p < 40; p++ {
		props[fmt.Sprintf("field%02d", p)] = apiextensionsv1.JSONSchemaProps{Type: "string",
			Description: strings.Repeat(fmt.Sprintf("Field %d of an extra CRD for the memory benchmark. ", p), 4)}
	}
	group := fmt.Sprintf("g%03d.bench.ferry.test", i)
	return &apiextensionsv1.CustomResourceDefinition{
		ObjectMeta: metav1.ObjectMeta{Name: "things." + group},
		Spec: apiextensionsv1.CustomResourceDefinitionSpec{
			Group: group,
			Names: apiextensionsv1.CustomResourceDefinitionNames{Kind: "Thing", ListKind: "ThingList", Plural: "things", Singular: "thing"},
			Scope: apiextensionsv1.NamespaceScoped,
			Versions: []apiextensionsv1.CustomResourceDefinitionVersion{{Name: "v1", Served: true, Storage: true,
				Schema: &apiextensionsv1.CustomResourceValidation{OpenAPIV3Schema: &apiextensionsv1.JSONSchemaProps{
					Type: "object", Properties: map[string]apiextensionsv1.JSONSchemaProps{
						"spec": {Type: "object", Properties: props}}}}}},
		},
	}
}

// installCRDs creates the extra CRDs and waits until each is Established.
func installCRDs(b *testing.B, n int) {
	if err := apiextensionsv1.AddToScheme(env.Scheme); err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), testenv.RolloutTimeout)
	defer cancel()
	for i := 0; i < n; i++ {
		if err := client.IgnoreAlreadyExists(env.Client.Create(ctx, benchCRD(i))); err != nil {
			b.Fatal(err)
		}
	}
	for i := 0; i < n; i++ {
		crd := benchCRD(i)
		err := wait.PollUntilContextCancel(ctx, testenv.Interval, true, func(ctx context.Context) (bool, error) {
			if err := env.Client.Get(ctx, client.ObjectKeyFromObject(crd), crd); err != nil {
				return false, err
			}
			for _, c := range crd.Status.Conditions {
				if c.Type == apiextensionsv1.Established && c.Status == apiextensionsv1.ConditionTrue {
					return true, nil
				}
			}
			return false, nil
		})
		if err != nil {
			b.Fatalf("CRD %s not established: %v", crd.Name, err)
		}
	}
}

// BenchmarkInstallMemory installs benchReleases small releases (OpenAPI validation on, as
// by default) per round, with clients shared through one Cache or built afresh for each
// release as Helm's own client is, before and after 100 extra CRDs are installed. It
// reports the bytes allocated per release, the live heap after the round and the peak RSS
// of the round.
func BenchmarkInstallMemory(b *testing.B) {
	chrt := packageChart(b, "schema")
	for _, crds := range []int{0, 100} {
		installCRDs(b, crds)
		for _, mode := range []string{"shared", "per-release"} {
			b.Run(fmt.Sprintf("crds=%d/clients=%s", crds, mode), func(b *testing.B) {
				var allocated, heap, peak float64
				for b.Loop() {
					ns := testenv.NewNamespace(b, env.Client)
					cache := NewCache(0)
					runtime.GC()
					if err := rss.Reset(0); err != nil {
						b.Fatal(err)
					}
					var before runtime.MemStats
					runtime.ReadMemStats(&before)
					for i := 0; i < benchReleases; i++ {
						if mode == "per-release" {
							cache = NewCache(0)
						}
						c, err := New(Config{RESTConfig: env.Config, StorageNamespace: ns, Namespace: ns, Cache: cache})
						if err != nil {
							b.Fatal(err)
						}
						if _, err := c.Install(context.Background(), chrt, nil, InstallOptions{ReleaseName: fmt.Sprintf("r%d", i)}); err != nil {
							b.Fatal(err)
						}
					}
					var after runtime.MemStats
					runtime.ReadMemStats(&after)
					allocated += float64(after.TotalAlloc-before.TotalAlloc) / benchReleases
					runtime.GC()
					runtime.ReadMemStats(&after)
					heap += float64(after.HeapAlloc)
					u, err := rss.Of(0)
					if err != nil {
						b.Fatal(err)
					}
					peak += rss.MiB(u.Peak)
					runtime.KeepAlive(cache)
				}
				n := float64(b.N)
				b.ReportMetric(allocated/n/(1<<20), "alloc-MiB/release")
				b.ReportMetric(heap/n/(1<<20), "heap-MiB")
				b.ReportMetric(peak/n, "peak-RSS-MiB")
			})
		}
	}
}
