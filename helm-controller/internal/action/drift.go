package action

import (
	"bytes"
	"context"
	"fmt"
	"reflect"
	"sort"
	"strings"

	"helm.sh/helm/v3/pkg/release"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/controller-runtime/pkg/client"

	helmv2 "github.com/ferry-gitops/ferry/shared/api/helm/v2"
	fluxmeta "github.com/ferry-gitops/ferry/shared/api/meta"
	"github.com/ferry-gitops/ferry/shared/apply"
)

// maxDriftPaths caps how many changed fields are named per object.
const maxDriftPaths = 5

// DriftedObject is one object of a release that the cluster no longer matches.
type DriftedObject struct {
	// Ref identifies the object.
	Ref apply.ObjectRef
	// Missing is true when the object was deleted from the cluster.
	Missing bool
	// Paths lists (up to a few, sorted) the fields that differ, as JSON pointers.
	Paths []string
	// Object is the object as the release declares it, without ignored fields: what
	// CorrectDrift applies.
	Object *unstructured.Unstructured
}

// String returns "Kind/namespace/name missing" or "Kind/namespace/name changed (paths)".
func (o DriftedObject) String() string {
	if o.Missing {
		return o.Ref.String() + " missing"
	}
	return fmt.Sprintf("%s changed (%s)", o.Ref, strings.Join(o.Paths, ", "))
}

// Drift is the difference between a release's manifest and the cluster.
type Drift struct {
	// ReleaseName and Revision name the release revision compared.
	ReleaseName string
	// Revision is the compared revision.
	Revision int
	// Objects lists the drifted objects sorted by reference; empty when none drifted.
	Objects []DriftedObject
}

// Detected reports whether any object drifted.
func (d *Drift) Detected() bool { return d != nil && len(d.Objects) > 0 }

// String describes the drift in a stable order, for conditions and events.
func (d *Drift) String() string {
	if !d.Detected() {
		return "no drift"
	}
	parts := make([]string, len(d.Objects))
	for i, o := range d.Objects {
		parts[i] = o.String()
	}
	return fmt.Sprintf("%d object(s) of release %s revision %d drifted: %s",
		len(d.Objects), d.ReleaseName, d.Revision, strings.Join(parts, "; "))
}

// Drift compares the objects of rel's manifest with the cluster: each is dry-run applied
// server-side (field manager FieldManager, forced ownership) and the result compared
// with the live object, leaving out the fields the ignore rules name and the objects
// labelled or annotated helm.toolkit.fluxcd.io/driftDetection: disabled.
func (c *Client) Drift(ctx context.Context, rel *release.Release, ignore []fluxmeta.IgnoreRule) (*Drift, error) {
	ig, err := apply.NewIgnorer(ignore)
	if err != nil {
		return nil, err
	}
	objs, err := c.manifestObjects(rel)
	if err != nil {
		return nil, err
	}
	d := &Drift{ReleaseName: rel.Name, Revision: rel.Version}
	for _, obj := range objs {
		o, err := c.driftOf(ctx, rel, obj, ig)
		if err != nil {
			return nil, fmt.Errorf("failed to detect drift of release %s: %w", rel.Name, err)
		}
		if o != nil {
			d.Objects = append(d.Objects, *o)
		}
	}
	sort.Slice(d.Objects, func(i, j int) bool { return d.Objects[i].Ref.String() < d.Objects[j].Ref.String() })
	return d, nil
}

// manifestObjects parses the release's manifest into objects, namespaced ones defaulted
// to the release's namespace.
func (c *Client) manifestObjects(rel *release.Release) ([]*unstructured.Unstructured, error) {
	infos, err := c.kube.Build(bytes.NewBufferString(rel.Manifest), false)
	if err != nil {
		return nil, fmt.Errorf("failed to parse the manifest of release %s: %w", rel.Name, err)
	}
	objs := make([]*unstructured.Unstructured, 0, len(infos))
	for _, info := range infos {
		u, ok := info.Object.(*unstructured.Unstructured)
		if !ok {
			return nil, fmt.Errorf("failed to parse the manifest of release %s: unexpected object %T", rel.Name, info.Object)
		}
		objs = append(objs, u)
	}
	return objs, nil
}

// driftOf compares one object with the cluster; nil means no drift.
func (c *Client) driftOf(ctx context.Context, rel *release.Release, obj *unstructured.Unstructured, ig *apply.Ignorer) (*DriftedObject, error) {
	ref := apply.RefOf(obj)
	if driftDisabled(obj) {
		return nil, nil
	}
	live := &unstructured.Unstructured{}
	live.SetGroupVersionKind(obj.GroupVersionKind())
	err := c.shared.client.Get(ctx, client.ObjectKeyFromObject(obj), live)
	if apierrors.IsNotFound(err) {
		desired := owned(obj.DeepCopy(), rel)
		ig.Strip(desired, obj)
		return &DriftedObject{Ref: ref, Missing: true, Object: desired}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("failed to get %s: %w", ref, err)
	}
	if driftDisabled(live) {
		return nil, nil
	}
	desired := owned(obj.DeepCopy(), rel)
	ig.Strip(desired, live)
	dry := desired.DeepCopy()
	if err := c.shared.client.Patch(ctx, dry, client.Apply, client.FieldOwner(FieldManager),
		client.ForceOwnership, client.DryRunAll); err != nil {
		return nil, fmt.Errorf("failed to dry-run apply %s: %w", ref, err)
	}
	ig.Strip(dry, live)
	cmp := live.DeepCopy()
	ig.Strip(cmp, live)
	if apply.InSync(cmp, dry) {
		return nil, nil
	}
	return &DriftedObject{Ref: ref, Paths: changedPaths(cmp.Object, dry.Object), Object: desired}, nil
}

// driftDisabled reports whether obj opts out of drift detection by label or annotation.
func driftDisabled(obj *unstructured.Unstructured) bool {
	key, off := helmv2.DriftDetectionMetadataKey, helmv2.DriftDetectionDisabledValue
	return obj.GetLabels()[key] == off || obj.GetAnnotations()[key] == off
}

// owned adds the ownership metadata Helm puts on the objects of a release, so that an
// object recreated by CorrectDrift still belongs to it.
func owned(obj *unstructured.Unstructured, rel *release.Release) *unstructured.Unstructured {
	l := obj.GetLabels()
	if l == nil {
		l = map[string]string{}
	}
	l["app.kubernetes.io/managed-by"] = "Helm"
	obj.SetLabels(l)
	a := obj.GetAnnotations()
	if a == nil {
		a = map[string]string{}
	}
	a["meta.helm.sh/release-name"] = rel.Name
	a["meta.helm.sh/release-namespace"] = rel.Namespace
	obj.SetAnnotations(a)
	return obj
}

// changedPaths returns, sorted and capped at maxDriftPaths, the JSON pointers of the
// fields where live and dry differ, ignoring what apply.InSync ignores.
func changedPaths(live, dry map[string]any) []string {
	var out []string
	var walk func(prefix string, a, b any)
	walk = func(prefix string, a, b any) {
		am, aok := a.(map[string]any)
		bm, bok := b.(map[string]any)
		if !aok || !bok {
			if !reflect.DeepEqual(a, b) {
				out = append(out, prefix)
			}
			return
		}
		keys := map[string]bool{}
		for k := range am {
			keys[k] = true
		}
		for k := range bm {
			keys[k] = true
		}
		for k := range keys {
			p := prefix + "/" + strings.ReplaceAll(strings.ReplaceAll(k, "~", "~0"), "/", "~1")
			switch p {
			case "/status", "/metadata/managedFields", "/metadata/resourceVersion", "/metadata/generation":
				continue
			}
			walk(p, am[k], bm[k])
		}
	}
	walk("", live, dry)
	sort.Strings(out)
	if len(out) > maxDriftPaths {
		out = append(out[:maxDriftPaths], fmt.Sprintf("and %d more", len(out)-maxDriftPaths))
	}
	return out
}

// CorrectDrift applies the drifted objects of d server-side (field manager FieldManager,
// forced ownership), recreating the missing ones and restoring the changed fields,
// without a new release revision. It returns what it changed.
func (c *Client) CorrectDrift(ctx context.Context, d *Drift) (*apply.ChangeSet, error) {
	if !d.Detected() {
		return &apply.ChangeSet{}, nil
	}
	objs := make([]*unstructured.Unstructured, len(d.Objects))
	for i, o := range d.Objects {
		objs[i] = o.Object.DeepCopy()
	}
	// Drift correction restores what the chart rendered; the kustomize group's per-object
	// annotations are not the release's business (objects opt out with driftDetection).
	cs, err := apply.NewManager(c.shared.client, FieldManager, apply.Annotations{}).ApplyAll(ctx, objs, apply.Options{})
	if err != nil {
		return cs, fmt.Errorf("failed to correct the drift of release %s: %w", d.ReleaseName, err)
	}
	return cs, nil
}
