// Package dependency lets an object wait for the objects in its spec.dependsOn without
// polling: an index maps each dependency to its dependents, and a watch on each kind a
// dependency may be enqueues the dependents when a change of the dependency can change their
// answer (its readiness, or the result of their readyExpr). A dependency is ready when its
// Ready condition is True at its generation or, when the reference has a readyExpr, when that
// CEL expression over the dependency (dep) and the dependent (self) is true.
//
// A reference names a kind of its own (a Ferry extension: a Kustomization may depend on a
// HelmRelease and the reverse); without one it is of the dependent's kind, as in Flux.
package dependency

import (
	"context"
	"fmt"
	"strings"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

	fluxmeta "github.com/ferry-gitops/ferry/shared/api/meta"
	"github.com/ferry-gitops/ferry/shared/runtime/conditions"
	"github.com/ferry-gitops/ferry/shared/runtime/reconcile"
)

// IndexKey is the field index holding, for each object, the "<kind>/<namespace>/<name>" keys
// of its dependencies.
const IndexKey = ".metadata.dependsOn"

// AdditiveGate is the feature gate (Flux's) that checks a dependency's Ready condition as well
// as its readyExpr, instead of the expression alone.
const AdditiveGate = "AdditiveCELDependencyCheck"

// Dependent is an object with dependencies.
type Dependent interface {
	reconcile.Object
	// GetDependsOn returns spec.dependsOn.
	GetDependsOn() []fluxmeta.DependencyReference
}

// Kind is a kind a dependency may be.
type Kind struct {
	// GroupVersion is the kind's API group and the version the controller reads it in.
	GroupVersion schema.GroupVersion
	// Name is the kind's name, as a reference's kind field writes it.
	Name string
	// New returns an empty object of the kind.
	New func() reconcile.Object
}

// Set is what a controller's dependents may depend on.
type Set struct {
	// Own is the kind of the dependents, which a reference without a kind names.
	Own Kind
	// Others are the other kinds a reference may name.
	Others []Kind
	// Additive checks a dependency's Ready condition as well as its readyExpr (AdditiveGate).
	Additive bool
	// lazy holds the watches of Others until a dependent names their kind (Appliers makes
	// it; a set without it watches every kind from the start).
	lazy *lazyWatches
}

// kinds returns Own and Others.
func (s Set) kinds() []Kind { return append([]Kind{s.Own}, s.Others...) }

// resolve returns the kind d names, or an error when it names none of the set or an
// apiVersion of another group.
func (s Set) resolve(d fluxmeta.DependencyReference) (Kind, error) {
	name := d.Kind
	if name == "" {
		name = s.Own.Name
	}
	for _, k := range s.kinds() {
		if k.Name != name {
			continue
		}
		if d.APIVersion != "" {
			gv, err := schema.ParseGroupVersion(d.APIVersion)
			if err != nil || gv.Group != k.GroupVersion.Group {
				return Kind{}, fmt.Errorf("dependency '%s' has apiVersion %q, not one of %s", d.Name, d.APIVersion, k.GroupVersion.Group)
			}
		}
		return k, nil
	}
	return Kind{}, fmt.Errorf("dependency '%s' has kind %q: a dependency must be a %s", d.Name, d.Kind, s.names())
}

// names lists the kinds of the set for messages: "Kustomization or HelmRelease".
func (s Set) names() string {
	var out []string
	for _, k := range s.kinds() {
		out = append(out, k.Name)
	}
	return strings.Join(out, " or ")
}

// Keys returns the index keys of obj's dependencies: "<kind>/<namespace>/<name>", the kind
// defaulted to own and the namespace to obj's.
func Keys(obj Dependent, own string) []string {
	deps := obj.GetDependsOn()
	keys := make([]string, 0, len(deps))
	for _, d := range deps {
		keys = append(keys, key(kindOf(d, own), dependencyName(obj, d)))
	}
	return keys
}

func kindOf(d fluxmeta.DependencyReference, own string) string {
	if d.Kind == "" {
		return own
	}
	return d.Kind
}

func key(kind string, nn types.NamespacedName) string { return kind + "/" + nn.String() }

func dependencyName(obj client.Object, d fluxmeta.DependencyReference) types.NamespacedName {
	ns := d.Namespace
	if ns == "" {
		ns = obj.GetNamespace()
	}
	return types.NamespacedName{Namespace: ns, Name: d.Name}
}

// describe names a dependency in messages: "<namespace>/<name>" when it is of the dependent's
// kind, as Flux writes it, else "<kind>/<namespace>/<name>".
func describe(kind, own string, nn types.NamespacedName) string {
	if kind == own {
		return nn.String()
	}
	return key(kind, nn)
}

// SetupIndex registers IndexKey for objects like obj, whose own kind is own, with the
// manager's cache.
func SetupIndex(ctx context.Context, mgr ctrl.Manager, obj Dependent, own string) error {
	err := mgr.GetFieldIndexer().IndexField(ctx, obj, IndexKey, func(o client.Object) []string {
		return Keys(o.(Dependent), own)
	})
	if err != nil {
		return fmt.Errorf("failed to index dependencies: %w", err)
	}
	return nil
}

// Check returns a Waiting result naming the first dependency of obj that does not exist or is
// not ready, or a Done result when all are ready. A reference of a kind outside set, or with
// a readyExpr that does not compile, stalls obj (checked for every reference before any
// dependency is read); an expression that fails to evaluate, as when it reads a field the
// dependency does not have yet, leaves obj waiting.
func Check(ctx context.Context, c client.Client, obj Dependent, set Set) reconcile.Result {
	deps := obj.GetDependsOn()
	kinds := make([]Kind, len(deps))
	progs := make([]*program, len(deps))
	for i, d := range deps {
		k, err := set.resolve(d)
		if err != nil {
			return reconcile.Stalled(fluxmeta.UnsupportedSpecReason, err)
		}
		kinds[i] = k
		if k.Name != set.Own.Name {
			set.lazy.need(k.Name)
		}
		if d.ReadyExpr == "" {
			continue
		}
		if progs[i], err = compileExpr(d.ReadyExpr); err != nil {
			return reconcile.Stalled(fluxmeta.InvalidCELExpressionReason, fmt.Errorf("invalid readyExpr of dependency '%s': %w",
				describe(k.Name, set.Own.Name, dependencyName(obj, d)), err))
		}
	}
	for i, d := range deps {
		if res := checkOne(ctx, c, obj, set, kinds[i], d, progs[i]); !res.IsDone() {
			return res
		}
	}
	return reconcile.Done("", "")
}

// checkOne checks one dependency of kind k, with its compiled readyExpr (nil without one).
func checkOne(ctx context.Context, c client.Client, obj Dependent, set Set, k Kind, d fluxmeta.DependencyReference, prog *program) reconcile.Result {
	nn := dependencyName(obj, d)
	name := describe(k.Name, set.Own.Name, nn)
	dep := k.New()
	if err := c.Get(ctx, nn, dep); err != nil {
		if apierrors.IsNotFound(err) {
			return reconcile.Waiting(fluxmeta.DependencyNotReadyReason, fmt.Errorf("dependency '%s' not found", name))
		}
		if meta.IsNoMatchError(err) {
			return reconcile.Transient(fluxmeta.DependencyNotReadyReason,
				fmt.Errorf("dependency '%s': the cluster does not serve the kind %s", name, k.Name))
		}
		return reconcile.Transient(fluxmeta.DependencyNotReadyReason, fmt.Errorf("failed to get dependency '%s': %w", name, err))
	}
	if prog != nil {
		ready, err := prog.eval(objectMap(dep, k.GroupVersion, k.Name), objectMap(obj, set.Own.GroupVersion, set.Own.Name))
		switch {
		case isTypeError(err):
			return reconcile.Stalled(fluxmeta.InvalidCELExpressionReason,
				fmt.Errorf("invalid readyExpr of dependency '%s': %w", name, err))
		case err != nil:
			return reconcile.Waiting(fluxmeta.DependencyNotReadyReason,
				fmt.Errorf("dependency '%s' is not ready: readyExpr failed to evaluate: %w", name, err))
		case !ready:
			return reconcile.Waiting(fluxmeta.DependencyNotReadyReason,
				fmt.Errorf("dependency '%s' is not ready according to its readyExpr", name))
		case !set.Additive:
			return reconcile.Done("", "")
		}
	}
	if !conditions.IsReady(dep) {
		return reconcile.Waiting(fluxmeta.DependencyNotReadyReason, fmt.Errorf("dependency '%s' is not ready", name))
	}
	return reconcile.Done("", "")
}

// BuiltIn reports whether the built-in checks apply to d, that is whether d has no readyExpr
// or s is Additive: a controller's own checks of a dependency (a Kustomization's same-source
// revision, say) go with the Ready check, which a readyExpr replaces.
func (s Set) BuiltIn(d fluxmeta.DependencyReference) bool {
	return d.ReadyExpr == "" || s.Additive
}
