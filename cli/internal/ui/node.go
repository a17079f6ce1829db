package ui

import (
	"sort"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/ferry-gitops/ferry/cli/internal/kinds"
	"github.com/ferry-gitops/ferry/cli/internal/tree"
	helmv2 "github.com/ferry-gitops/ferry/shared/api/helm/v2"
	imagev1 "github.com/ferry-gitops/ferry/shared/api/image/v1"
	kustomizev1 "github.com/ferry-gitops/ferry/shared/api/kustomize/v1"
	fluxmeta "github.com/ferry-gitops/ferry/shared/api/meta"
	notificationv1 "github.com/ferry-gitops/ferry/shared/api/notification/v1"
	notificationv1beta3 "github.com/ferry-gitops/ferry/shared/api/notification/v1beta3"
	sourcev1 "github.com/ferry-gitops/ferry/shared/api/source/v1"
)

// The layers of the graph, left to right.
const (
	// LayerSource holds the sources: Git, OCI, Helm repositories, charts and buckets.
	LayerSource = "source"
	// LayerDelivery holds the Kustomizations and HelmReleases.
	LayerDelivery = "delivery"
	// LayerAutomation holds the image repositories, policies and update automations.
	LayerAutomation = "automation"
	// LayerNotification holds the alerts, providers and receivers.
	LayerNotification = "notification"
)

// The statuses of a node, after kstatus and the colours the page gives them.
const (
	// StatusReady means Ready=True at the current generation.
	StatusReady = "Ready"
	// StatusReconciling means the controller is at work or has not reported yet.
	StatusReconciling = "Reconciling"
	// StatusStalled means Stalled=True: the spec must change.
	StatusStalled = "Stalled"
	// StatusFailed means Ready=False.
	StatusFailed = "Failed"
	// StatusSuspended means spec.suspend is set.
	StatusSuspended = "Suspended"
)

// Node is one toolkit object of the graph, as the page draws it.
type Node struct {
	// ID is Kind/namespace/name.
	ID string `json:"id"`
	// Kind, Namespace and Name name the object.
	Kind      string `json:"kind"`
	Namespace string `json:"namespace"`
	Name      string `json:"name"`
	// Layer is the column of the graph the node sits in.
	Layer string `json:"layer"`
	// Status is one of the Status constants.
	Status string `json:"status"`
	// Reason and Message are those of the condition that decided Status.
	Reason  string `json:"reason,omitempty"`
	Message string `json:"message,omitempty"`
	// Revision is the revision fetched (sources) or applied (Kustomizations, HelmReleases).
	Revision string `json:"revision,omitempty"`
	// Updated is when the source last fetched a new artifact, or the object last became
	// Ready, in RFC 3339.
	Updated string `json:"updated,omitempty"`
	// Details are the kind's other columns of `ferry get` that have a value, as
	// "HEADER: value": an image repository's last scan, a policy's image and tag, an
	// automation's last run.
	Details []string `json:"details,omitempty"`
	// Suspended is spec.suspend.
	Suspended bool `json:"suspended"`
	// Reconcilable says the kind answers reconcile requests (it has a status).
	Reconcilable bool `json:"reconcilable"`
	// CanPatch says the user may patch the object, which reconcile, suspend and resume do.
	CanPatch bool `json:"canPatch"`
	// Source is the ID of the object the node is built from.
	Source string `json:"source,omitempty"`
	// DependsOn are the IDs of the objects that must be ready first.
	DependsOn []string `json:"dependsOn,omitempty"`
	// Refs are the IDs (or Kind/namespace/* patterns) of other objects the node refers to:
	// a policy's image repository, an automation's Git repository, an alert's provider and
	// event sources, a receiver's resources.
	Refs []string `json:"refs,omitempty"`
	// Inventory are the objects a Kustomization or HelmRelease applied.
	Inventory []Entry `json:"inventory,omitempty"`
	// Conditions are the object's status conditions.
	Conditions []Condition `json:"conditions,omitempty"`
}

// Entry is one object of an inventory.
type Entry struct {
	// ID is Kind/namespace/name (Kind//name when cluster-wide).
	ID        string `json:"id"`
	Kind      string `json:"kind"`
	Namespace string `json:"namespace,omitempty"`
	Name      string `json:"name"`
	// APIVersion is group/version of the object as applied.
	APIVersion string `json:"apiVersion"`
}

// Condition is a status condition as the page lists it.
type Condition struct {
	Type    string `json:"type"`
	Status  string `json:"status"`
	Reason  string `json:"reason,omitempty"`
	Message string `json:"message,omitempty"`
	// Since is the lastTransitionTime, in RFC 3339.
	Since string `json:"since,omitempty"`
}

// ID returns the node ID of an object: Kind/namespace/name.
func ID(kind, namespace, name string) string { return kind + "/" + namespace + "/" + name }

// layers maps each kind of the table to its column.
var layers = map[string]string{
	sourcev1.GitRepositoryKind: LayerSource, sourcev1.OCIRepositoryKind: LayerSource,
	sourcev1.HelmRepositoryKind: LayerSource, sourcev1.HelmChartKind: LayerSource,
	sourcev1.BucketKind:               LayerSource,
	kustomizev1.KustomizationKind:     LayerDelivery,
	helmv2.HelmReleaseKind:            LayerDelivery,
	imagev1.ImageRepositoryKind:       LayerAutomation,
	imagev1.ImagePolicyKind:           LayerAutomation,
	imagev1.ImageUpdateAutomationKind: LayerAutomation,
	notificationv1beta3.AlertKind:     LayerNotification,
	notificationv1beta3.ProviderKind:  LayerNotification,
	notificationv1.ReceiverKind:       LayerNotification,
}

// NewNode describes obj, of kind k, as a node; canPatch is the user's right to patch it.
func NewNode(k *kinds.Kind, obj kinds.Object, canPatch bool) *Node {
	n := &Node{
		ID:   ID(k.Kind, obj.GetNamespace(), obj.GetName()),
		Kind: k.Kind, Namespace: obj.GetNamespace(), Name: obj.GetName(),
		Layer: layers[k.Kind], Suspended: obj.IsSuspended(), Reconcilable: k.HasStatus(), CanPatch: canPatch,
	}
	n.Status, n.Reason, n.Message = statusOf(k, obj)
	if k.Revision != nil {
		n.Revision = k.Revision(obj)
	}
	for _, c := range k.Columns {
		if v := c.Value(obj); v != "" && c.Header != "SUSPENDED" {
			n.Details = append(n.Details, c.Header+": "+v)
		}
	}
	if k.Source != nil {
		if ref, ok := k.Source(obj); ok {
			n.Source = ID(ref.Kind, ref.Namespace, ref.Name)
		}
	}
	if so, ok := obj.(fluxmeta.StatusObject); ok {
		n.Conditions = conditionsOf(so.GetObjectStatus().Conditions)
		n.Updated = updated(so)
	}
	n.DependsOn, n.Refs, n.Inventory = links(obj)
	return n
}

// statusOf decides the node's status from the object's conditions, after kstatus:
// suspension first, then Stalled; Ready=False at the observed generation is Failed even
// while Reconciling=True says the controller retries (Flux's ProgressingWithRetry), since
// the user sees a failure; otherwise Reconciling=True, a generation not yet observed or a
// Ready that is missing or Unknown is Reconciling, and Ready=True is Ready.
func statusOf(k *kinds.Kind, obj kinds.Object) (status, reason, message string) {
	so, ok := obj.(fluxmeta.StatusObject)
	if obj.IsSuspended() {
		status = StatusSuspended
		if ok {
			_, reason, message = readyCondition(so)
		}
		return status, reason, message
	}
	if !ok {
		return StatusReady, "", k.Kind + " is Ready"
	}
	st := so.GetObjectStatus()
	if c := find(st.Conditions, fluxmeta.StalledCondition); c != nil && c.Status == metav1.ConditionTrue {
		return StatusStalled, c.Reason, c.Message
	}
	ready := find(st.Conditions, fluxmeta.ReadyCondition)
	current := st.ObservedGeneration >= obj.GetGeneration()
	if ready != nil && ready.Status == metav1.ConditionFalse && current {
		return StatusFailed, ready.Reason, ready.Message
	}
	if c := find(st.Conditions, fluxmeta.ReconcilingCondition); c != nil && c.Status == metav1.ConditionTrue {
		return StatusReconciling, c.Reason, c.Message
	}
	switch {
	case ready == nil:
		return StatusReconciling, "", "waiting to be reconciled"
	case !current:
		return StatusReconciling, ready.Reason, "the controller has not observed the latest generation yet"
	case ready.Status == metav1.ConditionTrue:
		return StatusReady, ready.Reason, ready.Message
	}
	return StatusReconciling, ready.Reason, ready.Message
}

// readyCondition returns the Ready condition's status, reason and message.
func readyCondition(so fluxmeta.StatusObject) (status, reason, message string) {
	if c := find(so.GetObjectStatus().Conditions, fluxmeta.ReadyCondition); c != nil {
		return string(c.Status), c.Reason, c.Message
	}
	return "", "", ""
}

// find returns the condition of type typ, or nil.
func find(conds []metav1.Condition, typ string) *metav1.Condition {
	for i := range conds {
		if conds[i].Type == typ {
			return &conds[i]
		}
	}
	return nil
}

// conditionsOf copies the conditions for the page, sorted by type.
func conditionsOf(conds []metav1.Condition) []Condition {
	out := make([]Condition, 0, len(conds))
	for _, c := range conds {
		out = append(out, Condition{Type: c.Type, Status: string(c.Status), Reason: c.Reason,
			Message: c.Message, Since: c.LastTransitionTime.UTC().Format(time.RFC3339)})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Type < out[j].Type })
	return out
}

// updated returns when a source last stored an artifact, or else when Ready last changed.
func updated(so fluxmeta.StatusObject) string {
	if src, ok := so.(sourcev1.Source); ok && src.GetArtifact() != nil {
		return src.GetArtifact().LastUpdateTime.UTC().Format(time.RFC3339)
	}
	if c := find(so.GetObjectStatus().Conditions, fluxmeta.ReadyCondition); c != nil {
		return c.LastTransitionTime.UTC().Format(time.RFC3339)
	}
	return ""
}

// links returns the objects obj depends on, the other objects it refers to, and its
// inventory.
func links(obj kinds.Object) (dependsOn, refs []string, inventory []Entry) {
	ns := obj.GetNamespace()
	switch o := obj.(type) {
	case *kustomizev1.Kustomization:
		return dependencies(o.Spec.DependsOn, kustomizev1.KustomizationKind, ns), nil, entries(o.Status.Inventory)
	case *helmv2.HelmRelease:
		return dependencies(o.Spec.DependsOn, helmv2.HelmReleaseKind, ns), nil, entries(o.Status.Inventory)
	case *imagev1.ImagePolicy:
		ref := o.Spec.ImageRepositoryRef
		return nil, []string{ID(imagev1.ImageRepositoryKind, or(ref.Namespace, ns), ref.Name)}, nil
	case *imagev1.ImageUpdateAutomation:
		ref := o.Spec.SourceRef
		return nil, []string{ID(or(ref.Kind, sourcev1.GitRepositoryKind), or(ref.Namespace, ns), ref.Name)}, nil
	case *notificationv1beta3.Alert:
		refs = []string{ID(notificationv1beta3.ProviderKind, ns, o.Spec.ProviderRef.Name)}
		for _, s := range o.Spec.EventSources {
			refs = append(refs, ID(s.Kind, or(s.Namespace, ns), s.Name))
		}
		return nil, refs, nil
	case *notificationv1.Receiver:
		for _, r := range o.Spec.Resources {
			refs = append(refs, ID(r.Kind, or(r.Namespace, ns), r.Name))
		}
		return nil, refs, nil
	}
	return nil, nil, nil
}

// dependencies returns the IDs of the dependsOn entries, objects of kind.
func dependencies(deps []fluxmeta.DependencyReference, kind, ns string) []string {
	var out []string
	for _, d := range deps {
		out = append(out, ID(kind, or(d.Namespace, ns), d.Name))
	}
	return out
}

// entries reads an inventory; entries that do not parse are left out.
func entries(inv *fluxmeta.ResourceInventory) []Entry {
	if inv == nil {
		return nil
	}
	out := make([]Entry, 0, len(inv.Entries))
	for _, ref := range inv.Entries {
		e, err := tree.ParseEntry(ref.ID, ref.Version)
		if err != nil {
			continue
		}
		out = append(out, Entry{ID: ID(e.Kind, e.Namespace, e.Name), Kind: e.Kind, Namespace: e.Namespace,
			Name: e.Name, APIVersion: e.APIVersion()})
	}
	return out
}

// or returns s, or def when s is empty.
func or(s, def string) string {
	if s == "" {
		return def
	}
	return s
}
