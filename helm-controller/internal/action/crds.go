package action

import (
	"bytes"
	"context"
	"fmt"
	"time"

	"helm.sh/helm/v3/pkg/chart"
	"helm.sh/helm/v3/pkg/kube"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/controller-runtime/pkg/client"

	helmv2 "github.com/ferry-gitops/ferry/shared/api/helm/v2"
	"github.com/ferry-gitops/ferry/shared/apply"
)

// crdWaitTimeout bounds the wait for the chart's CRDs to be Established, as Helm's.
const crdWaitTimeout = 60 * time.Second

// applyCRDs handles the CRDs of the chart's crds/ directories (its subcharts' too) by
// policy: Skip leaves them alone, Create creates the missing ones, CreateReplace also
// replaces the existing ones. Helm itself never updates CRDs; CreateReplace is Flux's
// addition for charts that ship CRD changes.
func (c *Client) applyCRDs(ctx context.Context, chrt *chart.Chart, policy helmv2.CRDsPolicy, timeout time.Duration) error {
	if policy == helmv2.Skip || chrt == nil {
		return nil
	}
	if policy != helmv2.Create && policy != helmv2.CreateReplace {
		return fmt.Errorf("failed to apply CRDs: unknown policy %q, want Skip, Create or CreateReplace", policy)
	}
	var changed kube.ResourceList
	for _, crd := range chrt.CRDObjects() {
		infos, err := c.kube.Build(bytes.NewReader(crd.File.Data), false)
		if err != nil {
			return fmt.Errorf("failed to parse CRD file %s: %w", crd.Filename, err)
		}
		for _, info := range infos {
			obj, ok := info.Object.(*unstructured.Unstructured)
			if !ok {
				return fmt.Errorf("failed to parse CRD file %s: unexpected object %T", crd.Filename, info.Object)
			}
			done, err := c.createOrReplace(ctx, obj, policy == helmv2.CreateReplace)
			if err != nil {
				return fmt.Errorf("failed to apply CRD %s from %s: %w", obj.GetName(), crd.Filename, err)
			}
			if done {
				changed = append(changed, info)
			}
		}
	}
	if len(changed) == 0 {
		return nil
	}
	if err := c.kube.Wait(changed, min(timeout, crdWaitTimeout)); err != nil {
		return fmt.Errorf("failed to wait for the chart's CRDs: %w", err)
	}
	c.shared.discovery.Invalidate()
	for _, info := range changed {
		crd, _ := info.Object.(*unstructured.Unstructured)
		if err := apply.WaitCRDServed(ctx, c.shared.mapper, crd, min(timeout, crdWaitTimeout)); err != nil {
			return fmt.Errorf("failed to wait for the chart's CRDs: %w", err)
		}
	}
	return nil
}

// createOrReplace creates obj, or replaces the existing object when replace is set; it
// reports whether it wrote anything.
func (c *Client) createOrReplace(ctx context.Context, obj *unstructured.Unstructured, replace bool) (bool, error) {
	err := c.shared.client.Create(ctx, obj.DeepCopy())
	if err == nil {
		return true, nil
	}
	if !apierrors.IsAlreadyExists(err) {
		return false, err
	}
	if !replace {
		return false, nil
	}
	live := &unstructured.Unstructured{}
	live.SetGroupVersionKind(obj.GroupVersionKind())
	if err := c.shared.client.Get(ctx, client.ObjectKeyFromObject(obj), live); err != nil {
		return false, err
	}
	next := obj.DeepCopy()
	next.SetResourceVersion(live.GetResourceVersion())
	if err := c.shared.client.Update(ctx, next); err != nil {
		return false, err
	}
	return true, nil
}
