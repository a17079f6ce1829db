package demo

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// FieldManager is the field manager of the objects Apply writes, as `kubectl apply
// --server-side` would be.
const FieldManager = "ferry-demo"

// Intervals of the demo's objects: short, so that a push or a manual change shows within
// seconds. A real install polls Git every minute or so, or uses a webhook Receiver.
const (
	// GitInterval is how often the GitRepository asks the Git server for a new commit.
	GitInterval = "10s"
	// ApplyInterval is how often the Kustomizations and the HelmRelease correct drift.
	ApplyInterval = "30s"
	// ChartsInterval is how often the HelmRepository fetches the index.
	ChartsInterval = "1m"
	// ScanInterval is how often the ImageRepository lists the registry's tags (or at once on
	// a reconcile request, as a registry webhook would ask).
	ScanInterval = "1m"
)

// objectsYAML returns the demo's toolkit objects: seed 003's GitRepository flux-system and
// Kustomization my-apps, seed 002's Kustomization apps (the production overlay), a
// HelmRepository with a HelmRelease of the chart hello, replicaCount 2, and seed 002's
// ImageRepository, ImagePolicy (1.x) and ImageUpdateAutomation of my-app (image), pushing
// to the demo repository's branch master.
func objectsYAML(repoURL, chartsURL, image string) string {
	return strings.NewReplacer("$REPO", repoURL, "$CHARTS", chartsURL, "$GIT", GitInterval,
		"$APPLY", ApplyInterval, "$INDEX", ChartsInterval, "$FLEET", FleetNamespace, "$DEMO", Namespace,
		"$IMAGE", image, "$SCAN", ScanInterval).Replace(deliveryObjects + imageObjects)
}

// deliveryObjects are the GitRepository, the Kustomizations, the HelmRepository and the
// HelmRelease, with $-placeholders.
const deliveryObjects = `# The objects make run applies; edit them with kubectl and watch Ferry follow.
apiVersion: source.toolkit.fluxcd.io/v1
kind: GitRepository
metadata:
  name: flux-system
  namespace: $FLEET
spec:
  interval: $GIT
  url: $REPO
  ref:
    branch: master
---
apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata:
  name: my-apps
  namespace: $FLEET
spec:
  interval: $APPLY
  sourceRef:
    kind: GitRepository
    name: flux-system
  path: ./apps/my-app
  prune: true
  wait: true
  timeout: 2m
---
apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata:
  name: apps
  namespace: $FLEET
spec:
  interval: $APPLY
  sourceRef:
    kind: GitRepository
    name: flux-system
  path: ./apps/production
  prune: true
  wait: true
  timeout: 2m
---
apiVersion: source.toolkit.fluxcd.io/v1
kind: HelmRepository
metadata:
  name: demo-charts
  namespace: $DEMO
spec:
  interval: $INDEX
  url: $CHARTS
---
apiVersion: helm.toolkit.fluxcd.io/v2
kind: HelmRelease
metadata:
  name: hello
  namespace: $DEMO
spec:
  interval: $APPLY
  chart:
    spec:
      chart: hello
      version: "1.x"
      sourceRef:
        kind: HelmRepository
        name: demo-charts
  values:
    replicaCount: 2
`

// imageObjects are seed 002's ImageRepository, ImagePolicy and ImageUpdateAutomation, with
// $-placeholders.
const imageObjects = `---
apiVersion: image.toolkit.fluxcd.io/v1beta2
kind: ImageRepository
metadata:
  name: my-app
  namespace: $FLEET
spec:
  image: $IMAGE
  interval: $SCAN
---
apiVersion: image.toolkit.fluxcd.io/v1beta2
kind: ImagePolicy
metadata:
  name: my-app
  namespace: $FLEET
spec:
  imageRepositoryRef:
    name: my-app
  policy:
    semver:
      range: "1.x"
---
apiVersion: image.toolkit.fluxcd.io/v1beta2
kind: ImageUpdateAutomation
metadata:
  name: my-app
  namespace: $FLEET
spec:
  interval: 30m
  sourceRef:
    kind: GitRepository
    name: flux-system
  git:
    checkout:
      ref:
        branch: master
    commit:
      author:
        name: fluxcdbot
        email: flux@myorg.com
      messageTemplate: "chore: update my-app to {{range .Changed.Changes}}{{.NewValue}}{{end}}"
    push:
      branch: master
  update:
    path: ./apps
    strategy: Setters
`

// decodeObjects decodes every document of a YAML stream.
func decodeObjects(data string) ([]*unstructured.Unstructured, error) {
	dec := utilyaml.NewYAMLReader(bufio.NewReader(strings.NewReader(data)))
	var objs []*unstructured.Unstructured
	for {
		doc, err := dec.Read()
		if errors.Is(err, io.EOF) {
			return objs, nil
		}
		if err != nil {
			return nil, fmt.Errorf("failed to read the demo objects: %w", err)
		}
		o := &unstructured.Unstructured{}
		if err := utilyaml.Unmarshal(doc, &o.Object); err != nil {
			return nil, fmt.Errorf("failed to decode the demo objects: %w", err)
		}
		if len(o.Object) > 0 {
			objs = append(objs, o)
		}
	}
}

// Namespaces are the namespaces the demo needs: the fleet's (its leader-election leases
// live there), production (seed 002's overlay names it but does not create it) and the
// HelmRelease's.
var Namespaces = []string{FleetNamespace, "production", Namespace}

// CreateNamespaces creates every namespace of names that does not exist yet.
func CreateNamespaces(ctx context.Context, c client.Client, names ...string) error {
	for _, name := range names {
		ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name}}
		if err := c.Create(ctx, ns); err != nil && !apierrors.IsAlreadyExists(err) {
			return fmt.Errorf("failed to create namespace %s: %w", name, err)
		}
	}
	return nil
}

// Apply creates the demo's namespaces and server-side applies its objects.
func (w *World) Apply(ctx context.Context, c client.Client) error {
	if err := CreateNamespaces(ctx, c, Namespaces...); err != nil {
		return err
	}
	for _, o := range w.Objects {
		o = o.DeepCopy()
		if err := c.Patch(ctx, o, client.Apply, client.FieldOwner(FieldManager), client.ForceOwnership); err != nil {
			return fmt.Errorf("failed to apply %s %s/%s: %w", o.GetKind(), o.GetNamespace(), o.GetName(), err)
		}
	}
	return nil
}
