// Package install applies Ferry's manifests to a cluster and removes them: server-side apply
// in stages (CRDs and Namespaces first), a wait for the controllers' Deployments, and an
// uninstall that takes the finalizers off Ferry's objects before anything is deleted, so
// that nothing hangs and no applied workload is garbage collected.
package install

import (
	"context"
	"fmt"
	"time"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/ferry-gitops/ferry/shared/apply"
	"github.com/ferry-gitops/ferry/shared/health"
)

// FieldManager is the server-side apply field manager of what ferry applies.
const FieldManager = "ferry"

// PartOfLabel marks every object of Ferry's install (deploy/ sets it).
const PartOfLabel = "app.kubernetes.io/part-of"

// PartOfValue is the value of PartOfLabel on Ferry's objects.
const PartOfValue = "ferry"

// Apply server-side applies objs in stages (class objects first, waited for until
// established) and returns what changed. The client must not cache.
func Apply(ctx context.Context, c client.Client, objs []*unstructured.Unstructured) (*apply.ChangeSet, error) {
	m := apply.NewManager(c, FieldManager, apply.Annotations{})
	cs, err := m.ApplyAll(ctx, objs, apply.Options{Force: true})
	if err != nil {
		return cs, fmt.Errorf("failed to apply the manifests: %w", err)
	}
	return cs, nil
}

// Deployments returns the references of the Deployments among objs.
func Deployments(objs []*unstructured.Unstructured) []health.ObjectRef {
	var refs []health.ObjectRef
	for _, o := range objs {
		if o.GetKind() == "Deployment" {
			refs = append(refs, health.RefOf(o))
		}
	}
	return refs
}

// WaitReady waits until every object of refs is Current (a Deployment is when its pods are
// available), polling every interval.
func WaitReady(ctx context.Context, c client.Reader, refs []health.ObjectRef, interval time.Duration) error {
	if err := health.Wait(ctx, c, refs, health.WaitOptions{Interval: interval}); err != nil {
		return fmt.Errorf("failed to wait for the controllers: %w", err)
	}
	return nil
}
