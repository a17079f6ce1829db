// Package bucket reconciles Bucket objects: it lists the bucket's objects (with the prefix
// and ignore rules), computes the revision of the listing, downloads only when it changed
// (and then only the objects that changed since the last artifact), packs them into the
// artifact storage and reports the artifact in the status.
package bucket

import (
	"context"
	"fmt"
	"sync"

	"k8s.io/apimachinery/pkg/types"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/client"

	fluxmeta "github.com/ferry-gitops/ferry/shared/api/meta"
	sourcev1 "github.com/ferry-gitops/ferry/shared/api/source/v1"
	"github.com/ferry-gitops/ferry/shared/cloud"
	"github.com/ferry-gitops/ferry/shared/runtime/controller"
	"github.com/ferry-gitops/ferry/shared/runtime/reconcile"
	"github.com/ferry-gitops/ferry/source-controller/internal/bucket"
	sourcecontroller "github.com/ferry-gitops/ferry/source-controller/internal/controller"
)

// Reconciler reconciles Bucket objects.
type Reconciler struct {
	rt        *reconcile.Runtime
	artifacts *sourcecontroller.Artifacts[*sourcev1.Bucket]
	// concurrency bounds the object downloads of one reconcile.
	concurrency int
	// tokens caches the tokens of the controller's Azure and Google identities (providers
	// azure and gcp without spec.secretRef), and of the ServiceAccounts' Azure and Google
	// identities.
	tokens *cloud.Cache
	// reader reads ServiceAccounts (spec.serviceAccountName) without caching them.
	reader client.Reader
	// objectLevel is the feature gate ObjectLevelWorkloadIdentity: spec.serviceAccountName
	// with provider aws, azure or gcp uses that ServiceAccount's identity.
	objectLevel bool
	// defaultSA is --default-service-account: the ServiceAccount whose cloud identity the
	// objects naming none log in with (cloud.ServiceAccountName), never the controller's.
	defaultSA string

	mu sync.Mutex
	// indexes remember, per object, the listing its current artifact was built from, so
	// that the next change downloads only the objects whose ETag changed. It is lost on
	// restart, which costs one full download per object.
	indexes map[types.NamespacedName]builtIndex
}

// builtIndex is the listing an artifact (by digest) was built from.
type builtIndex struct {
	digest string
	index  bucket.Index
}

// Setup registers the Bucket reconciler with the manager.
func Setup(mgr ctrl.Manager, rt *reconcile.Runtime, d *sourcecontroller.Deps) error {
	r := newReconciler(rt, d)
	r.reader = mgr.GetAPIReader()
	err := ctrl.NewControllerManagedBy(mgr).
		For(&sourcev1.Bucket{}, builder.WithPredicates(controller.Default())).
		WithOptions(d.Options.ControllerOptions()).
		Complete(r)
	if err != nil {
		return fmt.Errorf("failed to set up the Bucket controller: %w", err)
	}
	return nil
}

// newReconciler returns the reconciler of the Buckets, storing into d.Storage.
func newReconciler(rt *reconcile.Runtime, d *sourcecontroller.Deps) *Reconciler {
	return &Reconciler{rt: rt, concurrency: bucket.DefaultConcurrency, indexes: map[types.NamespacedName]builtIndex{},
		tokens: d.Options.Tokens(), reader: rt.Client, objectLevel: d.Options.FeatureGate(cloud.ObjectLevelWorkloadIdentity),
		defaultSA: d.Options.DefaultServiceAccount,
		artifacts: sourcecontroller.NewArtifacts(sourcev1.BucketKind, d.Storage,
			func(obj *sourcev1.Bucket) (**fluxmeta.Artifact, *string) {
				return &obj.Status.Artifact, &obj.Status.URL
			})}
}

// Reconcile runs one reconciliation of the Bucket named by req.
func (r *Reconciler) Reconcile(ctx context.Context, req ctrl.Request) (ctrl.Result, error) {
	st := &state{r: r}
	defer st.close()
	return reconcile.Run(ctx, r.rt, st.kind(), req)
}

// builtFrom returns the listing the object's current artifact was built from, if known.
func (r *Reconciler) builtFrom(key types.NamespacedName, digest string) bucket.Index {
	r.mu.Lock()
	defer r.mu.Unlock()
	if b, ok := r.indexes[key]; ok && b.digest == digest {
		return b.index
	}
	return nil
}

// remember records the listing the object's new artifact was built from; a nil index
// forgets the object.
func (r *Reconciler) remember(key types.NamespacedName, digest string, index bucket.Index) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if index == nil {
		delete(r.indexes, key)
		return
	}
	r.indexes[key] = builtIndex{digest: digest, index: index}
}
