// Package sourceref is the consumer side of a source reference, written once for every
// controller whose objects use a source's artifact (Kustomization, HelmRelease, HelmChart, a
// GitRepository's includes, ImageUpdateAutomation): a field index from consumers to the
// sources they name, one handler that enqueues a source's consumers, the one predicate
// deciding which source changes wake them, and Resolve, which reads a referenced source
// honouring --no-cross-namespace-refs.
package sourceref

import (
	"context"
	"fmt"
	"sort"
	"strings"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/types"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/handler"

	fluxmeta "github.com/ferry-gitops/ferry/shared/api/meta"
	sourcev1 "github.com/ferry-gitops/ferry/shared/api/source/v1"
	"github.com/ferry-gitops/ferry/shared/runtime/controller"
	"github.com/ferry-gitops/ferry/shared/runtime/reconcile"
)

// IndexKey is the field index from a consumer to the sources it references; its values are
// Ref.String() of each source: "<kind>/<namespace>/<name>".
const IndexKey = sourcev1.SourceIndexKey

// Source is an object of a source kind.
type Source interface {
	client.Object
	sourcev1.Source
}

// Kinds maps the source kinds a consumer may reference to constructors of empty objects.
type Kinds map[string]func() Source

// names returns the kinds' names, sorted.
func (k Kinds) names() []string {
	out := make([]string, 0, len(k))
	for name := range k {
		out = append(out, name)
	}
	sort.Strings(out)
	return out
}

// Ref names a source. An empty Namespace means the consumer's own.
type Ref struct {
	Kind, Namespace, Name string
}

// in returns the ref with its namespace defaulted to namespace.
func (r Ref) in(namespace string) Ref {
	if r.Namespace == "" {
		r.Namespace = namespace
	}
	return r
}

// String returns "<kind>/<namespace>/<name>", the index value and the name users read.
func (r Ref) String() string {
	return r.Kind + "/" + r.Namespace + "/" + r.Name
}

// SetupIndex indexes consumers like consumer by the sources refs returns for each (a ref
// without a namespace is in the consumer's namespace).
func SetupIndex(ctx context.Context, mgr ctrl.Manager, consumer client.Object, refs func(client.Object) []Ref) error {
	return controller.Index(ctx, mgr, consumer, IndexKey, func(o client.Object) []string {
		var keys []string
		for _, r := range refs(o) {
			if r.Name != "" {
				keys = append(keys, r.in(o.GetNamespace()).String())
			}
		}
		return keys
	})
}

// Enqueue returns the handler mapping a source of kind to the requests of its consumers,
// listed with newList through the index. notify, when not nil, sees each request first.
func Enqueue(c client.Reader, kind string, newList func() client.ObjectList,
	notify func(ctx context.Context, src client.Object, consumer ctrl.Request)) handler.EventHandler {
	return controller.EnqueueIndexed(c, newList, IndexKey, func(o client.Object) string {
		return Ref{Kind: kind, Namespace: o.GetNamespace(), Name: o.GetName()}.String()
	}, notify)
}

// Watch adds to b a watch on every kind in kinds that enqueues the consumers (of newList's
// kind) when ArtifactChanged passes.
func Watch(b *builder.Builder, c client.Reader, kinds Kinds, newList func() client.ObjectList,
	notify func(ctx context.Context, src client.Object, consumer ctrl.Request)) *builder.Builder {
	for _, name := range kinds.names() {
		b = b.Watches(kinds[name](), Enqueue(c, name, newList, notify), builder.WithPredicates(ArtifactChanged()))
	}
	return b
}

// Resolve reads the source ref names for consumer. It fails with a result carrying reason:
//   - a kind not in kinds: Stalled (UnsupportedSpec);
//   - a source in another namespace while noCrossNamespaceRefs: Stalled (AccessDenied);
//   - a source that does not exist: Waiting (its creation wakes the consumer);
//   - any other error reading it: Transient.
func Resolve(ctx context.Context, c client.Reader, consumer client.Object, ref Ref, kinds Kinds,
	noCrossNamespaceRefs bool, reason string) (Source, reconcile.Result) {
	ref = ref.in(consumer.GetNamespace())
	newSource, ok := kinds[ref.Kind]
	if !ok {
		return nil, reconcile.Stalled(fluxmeta.UnsupportedSpecReason,
			fmt.Errorf("source kind '%s' is not supported: use %s", ref.Kind, strings.Join(kinds.names(), ", ")))
	}
	if noCrossNamespaceRefs && ref.Namespace != consumer.GetNamespace() {
		return nil, reconcile.Stalled(fluxmeta.AccessDeniedReason,
			fmt.Errorf("cannot access %s, cross-namespace references have been disabled", ref))
	}
	src := newSource()
	if err := c.Get(ctx, types.NamespacedName{Namespace: ref.Namespace, Name: ref.Name}, src); err != nil {
		if apierrors.IsNotFound(err) {
			return nil, reconcile.Waiting(reason, fmt.Errorf("Source '%s' not found", ref))
		}
		return nil, reconcile.Transient(reason, fmt.Errorf("failed to get source '%s': %w", ref, err))
	}
	return src, reconcile.Done("", "")
}
