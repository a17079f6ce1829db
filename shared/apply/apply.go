package apply

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// DefaultWaitTimeout bounds the wait for class objects when Options.WaitTimeout is zero.
const DefaultWaitTimeout = 60 * time.Second

// Options tunes one ApplyAll call.
type Options struct {
	// Force recreates any object whose update fails on an immutable field, as if it carried
	// the force: enabled annotation.
	Force bool
	// WaitTimeout bounds the waits of one ApplyAll call, for CRDs to be Established and
	// Namespaces to be Active and for forced objects to be gone before they are recreated:
	// one deadline for all of them, not one timeout per object.
	WaitTimeout time.Duration
	// Ignore names fields that are left as the cluster has them on objects that exist: they
	// are applied with their live values (or left out when the live object has none), so that
	// drift in them is not corrected. Nil ignores nothing.
	Ignore *Ignorer
}

// Annotations name the per-object annotations of the caller's API group that change how an
// object is applied and pruned (kustomize-controller passes kustomize.toolkit.fluxcd.io/ssa
// and its siblings). Their values are Flux's: ssa takes Override, Merge, IfNotPresent or
// Ignore; force takes enabled; prune and reconcile take disabled. An empty name is not read.
type Annotations struct {
	// SSA is the server-side apply policy of an object.
	SSA string
	// Force, when enabled, recreates an object whose update fails on an immutable field.
	Force string
	// Prune, when disabled, keeps an object that left the inventory.
	Prune string
	// Reconcile, when disabled, leaves an object alone entirely.
	Reconcile string
}

// The values of the Annotations.
const (
	enabledValue         = "enabled"
	disabledValue        = "disabled"
	ssaMergeValue        = "Merge"
	ssaIfNotPresentValue = "IfNotPresent"
	ssaIgnoreValue       = "Ignore"
)

// value returns the annotation name of obj, or "" when name is empty.
func value(obj *unstructured.Unstructured, name string) string {
	if name == "" {
		return ""
	}
	return obj.GetAnnotations()[name]
}

// Manager applies objects with server-side apply. Its client must read and write directly
// to the API server (no cache).
type Manager struct {
	client      client.Client
	owner       string
	annotations Annotations
	observed    *Observed
}

// NewManager returns a Manager that writes through c as the field manager owner and honours
// the per-object annotations named by ann.
func NewManager(c client.Client, owner string, ann Annotations) *Manager {
	return &Manager{client: c, owner: owner, annotations: ann}
}

// Observe makes m remember the objects it reads and writes in o (see Observed), and skip the
// read of an object whose dry run shows it unchanged since; it returns m.
func (m *Manager) Observe(o *Observed) *Manager {
	m.observed = o
	return m
}

// ApplyAll applies the objects in two stages: class objects (CRDs, Namespaces, ClusterRoles
// and other cluster-wide classes) first, waited for until ready, then the rest. Each stage
// is validated by a server-side dry run before anything of it is written, and only objects
// whose dry-run result differs from the cluster are written.
func (m *Manager) ApplyAll(ctx context.Context, objects []*unstructured.Unstructured, opts Options) (*ChangeSet, error) {
	var classes, rest []*unstructured.Unstructured
	for _, obj := range objects {
		if IsClass(obj) {
			classes = append(classes, obj)
		} else {
			rest = append(rest, obj)
		}
	}
	timeout := opts.WaitTimeout
	if timeout == 0 {
		timeout = DefaultWaitTimeout
	}
	deadline := time.Now().Add(timeout)
	cs := &ChangeSet{}
	stage1, err := m.applyStage(ctx, classes, opts, deadline)
	cs.Append(stage1)
	if err != nil {
		return cs, err
	}
	if err := m.waitClasses(ctx, classes, deadline); err != nil {
		return cs, err
	}
	stage2, err := m.applyStage(ctx, rest, opts, deadline)
	cs.Append(stage2)
	return cs, err
}

// planned is one object of a stage with what the dry run found.
type planned struct {
	obj    *unstructured.Unstructured
	action Action
	force  bool
	// result is the object as the cluster holds it (or will once written), for health checks.
	result *unstructured.Unstructured
}

// parallelism bounds the requests one stage has in flight.
const parallelism = 4

// applyStage dry-runs every object of the stage, then writes those that differ; a forced
// recreation waits for the deletion until deadline. The first error, in the order of the
// objects, is returned.
func (m *Manager) applyStage(ctx context.Context, objects []*unstructured.Unstructured, opts Options, deadline time.Time) (*ChangeSet, error) {
	plan := make([]planned, len(objects))
	err := forEach(ctx, len(objects), func(ctx context.Context, i int) error {
		var err error
		plan[i], err = m.plan(ctx, objects[i], opts)
		return err
	})
	if err != nil {
		return nil, err
	}
	err = forEach(ctx, len(plan), func(ctx context.Context, i int) error {
		if plan[i].action != Created && plan[i].action != Configured {
			return nil
		}
		return m.write(ctx, &plan[i], deadline)
	})
	cs := &ChangeSet{}
	for _, p := range plan {
		cs.Entries = append(cs.Entries, Change{Ref: RefOf(p.obj), Action: p.action, Object: p.result})
	}
	return cs, err
}

// forEach runs fn for 0..n-1 with at most parallelism calls at once and returns the error
// of the lowest index that failed.
func forEach(ctx context.Context, n int, fn func(context.Context, int) error) error {
	errs := make([]error, n)
	sem := make(chan struct{}, parallelism)
	var wg sync.WaitGroup
	for i := range n {
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer func() { <-sem; wg.Done() }()
			errs[i] = fn(ctx, i)
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

// plan decides what to do with one object, using a server-side dry run. The live object is
// read only when the dry run finds that the object exists (a dry-run create has no
// resourceVersion), so new objects cost one request before their write.
func (m *Manager) plan(ctx context.Context, obj *unstructured.Unstructured, opts Options) (planned, error) {
	ref := RefOf(obj)
	p := planned{obj: obj, force: opts.Force || value(obj, m.annotations.Force) == enabledValue}
	policy := value(obj, m.annotations.SSA)
	if policy == ssaIgnoreValue || m.disabled(obj) {
		p.action = Skipped
		return p, nil
	}
	dry := obj.DeepCopy()
	dryErr := m.client.Patch(ctx, dry, client.Apply, m.patchOptions(obj, client.DryRunAll)...)
	if dryErr == nil && dry.GetResourceVersion() == "" {
		p.action, p.result = Created, dry
		return p, nil
	}
	if dryErr == nil && opts.Ignore.none() && policy != ssaIfNotPresentValue && m.observed.inSync(dry) {
		p.action, p.result = Unchanged, dry
		return p, nil
	}
	live := &unstructured.Unstructured{}
	live.SetGroupVersionKind(obj.GroupVersionKind())
	err := m.client.Get(ctx, client.ObjectKeyFromObject(obj), live)
	switch {
	case apierrors.IsNotFound(err):
		live = nil
	case err != nil && dryErr != nil:
		return p, fmt.Errorf("failed to dry-run apply %s: %w", ref, dryErr)
	case err != nil:
		return p, fmt.Errorf("failed to get %s: %w", ref, err)
	default:
		m.observed.see(live, m.disabled(live))
	}
	if live != nil && (policy == ssaIfNotPresentValue || m.disabled(live)) {
		p.action, p.result = Skipped, live
		return p, nil
	}
	if live != nil && opts.Ignore != nil {
		if kept := obj.DeepCopy(); opts.Ignore.Keep(kept, live) {
			obj, p.obj, dry = kept, kept, kept.DeepCopy()
			dryErr = m.client.Patch(ctx, dry, client.Apply, m.patchOptions(obj, client.DryRunAll)...)
		}
	}
	if dryErr != nil && !(p.force && live != nil && isImmutable(dryErr)) {
		return p, fmt.Errorf("failed to dry-run apply %s: %w", ref, dryErr)
	}
	switch {
	case live == nil:
		p.action, p.result = Created, dry
	case dryErr != nil || !InSync(live, dry):
		p.action, p.result = Configured, dry
	default:
		p.action, p.result = Unchanged, live
	}
	return p, nil
}

// disabled reports whether obj carries reconcile: disabled.
func (m *Manager) disabled(obj *unstructured.Unstructured) bool {
	return value(obj, m.annotations.Reconcile) == disabledValue
}

// write applies one object, recreating it when forced and an immutable field changed (the
// old one waited for until deadline), and keeps the written object as the plan's result.
func (m *Manager) write(ctx context.Context, p *planned, deadline time.Time) error {
	ref := RefOf(p.obj)
	out := p.obj.DeepCopy()
	err := m.client.Patch(ctx, out, client.Apply, m.patchOptions(p.obj)...)
	if err == nil {
		p.result = out
		m.observed.see(out, m.disabled(out))
		return nil
	}
	if !p.force || !isImmutable(err) {
		return fmt.Errorf("failed to apply %s: %w", ref, err)
	}
	if err := m.recreate(ctx, p.obj, deadline); err != nil {
		return fmt.Errorf("failed to recreate %s: %w", ref, err)
	}
	p.result = nil
	return nil
}

// patchOptions returns the apply options for obj: forced ownership unless ssa: Merge.
func (m *Manager) patchOptions(obj *unstructured.Unstructured, extra ...client.PatchOption) []client.PatchOption {
	opts := []client.PatchOption{client.FieldOwner(m.owner)}
	if value(obj, m.annotations.SSA) != ssaMergeValue {
		opts = append(opts, client.ForceOwnership)
	}
	return append(opts, extra...)
}

// isImmutable reports whether an apply failed because it changed an immutable field.
func isImmutable(err error) bool {
	var status apierrors.APIStatus
	if !errors.As(err, &status) {
		return false
	}
	if !apierrors.IsInvalid(err) && !apierrors.IsBadRequest(err) {
		return false
	}
	return strings.Contains(strings.ToLower(err.Error()), "immutable")
}

// InSync reports whether the dry-run result matches the live object, ignoring metadata the
// server maintains (managedFields, resourceVersion, generation) and the status.
func InSync(live, dry *unstructured.Unstructured) bool {
	return equality.Semantic.DeepEqual(stripped(live), stripped(dry))
}

// stripped returns a copy of obj without server-maintained noise.
func stripped(obj *unstructured.Unstructured) map[string]any {
	c := obj.DeepCopy().Object
	unstructured.RemoveNestedField(c, "metadata", "managedFields")
	unstructured.RemoveNestedField(c, "metadata", "resourceVersion")
	unstructured.RemoveNestedField(c, "metadata", "generation")
	unstructured.RemoveNestedField(c, "status")
	return c
}
