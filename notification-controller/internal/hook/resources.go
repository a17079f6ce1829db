package hook

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/ferry-gitops/ferry/notification-controller/internal/webhook"
	fluxmeta "github.com/ferry-gitops/ferry/shared/api/meta"
	notificationv1 "github.com/ferry-gitops/ferry/shared/api/notification/v1"
)

// servedVersions are the versions of the toolkit's groups Ferry serves: a resource's
// apiVersion names the group, and an older version it may name is reached through this one
// (a metadata patch is the same in every version).
var servedVersions = map[string]string{
	"source.toolkit.fluxcd.io":    "v1",
	"kustomize.toolkit.fluxcd.io": "v1",
	"helm.toolkit.fluxcd.io":      "v2",
	"image.toolkit.fluxcd.io":     "v1",
	"source.extensions.fluxcd.io": "v1beta1",
}

// groups are the API groups of the kinds a Receiver may list.
var groups = map[string]string{
	"GitRepository": "source.toolkit.fluxcd.io", "OCIRepository": "source.toolkit.fluxcd.io",
	"HelmRepository": "source.toolkit.fluxcd.io", "HelmChart": "source.toolkit.fluxcd.io",
	"Bucket": "source.toolkit.fluxcd.io", "ExternalArtifact": "source.toolkit.fluxcd.io",
	"ArtifactGenerator": "source.extensions.fluxcd.io", "Kustomization": "kustomize.toolkit.fluxcd.io",
	"HelmRelease": "helm.toolkit.fluxcd.io", "ImageRepository": "image.toolkit.fluxcd.io",
	"ImagePolicy": "image.toolkit.fluxcd.io", "ImageUpdateAutomation": "image.toolkit.fluxcd.io",
}

// GVK returns the group, version and kind to reach a resource of a Receiver.
func GVK(apiVersion, kind string) (schema.GroupVersionKind, error) {
	group := groups[kind]
	if apiVersion != "" {
		gv, err := schema.ParseGroupVersion(apiVersion)
		if err != nil {
			return schema.GroupVersionKind{}, fmt.Errorf("invalid apiVersion %q: %w", apiVersion, err)
		}
		group = gv.Group
		if _, served := servedVersions[group]; !served {
			return gv.WithKind(kind), nil
		}
	}
	if group == "" {
		return schema.GroupVersionKind{}, fmt.Errorf("kind %s is not a toolkit kind", kind)
	}
	return schema.GroupVersionKind{Group: group, Version: servedVersions[group], Kind: kind}, nil
}

// ErrCrossNamespace refuses a resource in another namespace when cross-namespace references
// are disabled.
var ErrCrossNamespace = errors.New("cross-namespace references are disabled (--no-cross-namespace-refs)")

// requestReconcile annotates every object recv lists (and its filters accept, given the
// request's payload and token claims) with reconcile.fluxcd.io/requestedAt.
func (s *Server) requestReconcile(ctx context.Context, recv *notificationv1.Receiver, payload, claims map[string]any) error {
	global, perResource, err := s.filters.get(recv)
	if err != nil {
		return err
	}
	var errs []error
	for i, res := range recv.Spec.Resources {
		objs, err := s.targets(ctx, recv, res, global != nil || perResource[i] != nil)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		for _, o := range objs {
			ok, err := accepted(o, payload, claims, global, perResource[i])
			if err != nil {
				errs = append(errs, fmt.Errorf("failed to evaluate the filter of %s %s/%s: %w", o.Kind, o.Namespace, o.Name, err))
			}
			if ok {
				errs = append(errs, s.annotate(ctx, o))
			}
		}
	}
	return errors.Join(errs...)
}

// accepted tells whether both filters (each optional) accept o.
func accepted(o *metav1.PartialObjectMetadata, payload, claims map[string]any, filters ...*Filter) (bool, error) {
	for _, f := range filters {
		if f == nil {
			continue
		}
		if ok, err := f.Accepts(o, payload, claims); err != nil || !ok {
			return false, err
		}
	}
	return true, nil
}

// targets returns the objects res names: one by name, or every object of the kind in the
// namespace ("*"), narrowed by matchLabels. Named objects are read only when a filter needs
// their metadata.
func (s *Server) targets(ctx context.Context, recv *notificationv1.Receiver, res notificationv1.ReceiverResource, read bool) ([]*metav1.PartialObjectMetadata, error) {
	gvk, err := GVK(res.APIVersion, res.Kind)
	if err != nil {
		return nil, err
	}
	ns := res.Namespace
	if ns == "" {
		ns = recv.Namespace
	}
	if s.opts.NoCrossNamespaceRefs && ns != recv.Namespace {
		return nil, fmt.Errorf("%s %s/%s: %w", res.Kind, ns, res.Name, ErrCrossNamespace)
	}
	if res.Name != "*" {
		o := &metav1.PartialObjectMetadata{}
		o.SetGroupVersionKind(gvk)
		o.Name, o.Namespace = res.Name, ns
		if read {
			if err := s.cache.Get(ctx, client.ObjectKeyFromObject(o), o); err != nil {
				return nil, fmt.Errorf("failed to read %s %s/%s: %w", res.Kind, ns, res.Name, err)
			}
		}
		return []*metav1.PartialObjectMetadata{o}, nil
	}
	list := &metav1.PartialObjectMetadataList{}
	list.SetGroupVersionKind(gvk.GroupVersion().WithKind(gvk.Kind + "List"))
	if err := s.cache.List(ctx, list, client.InNamespace(ns), client.MatchingLabels(res.MatchLabels)); err != nil {
		return nil, fmt.Errorf("failed to list %s in %s: %w", res.Kind, ns, err)
	}
	out := make([]*metav1.PartialObjectMetadata, 0, len(list.Items))
	for i := range list.Items {
		o := &list.Items[i]
		o.SetGroupVersionKind(gvk)
		out = append(out, o)
	}
	return out, nil
}

// annotate sets reconcile.fluxcd.io/requestedAt on o to the time of the patch, one patch at
// a time per object (coalescer).
func (s *Server) annotate(ctx context.Context, o *metav1.PartialObjectMetadata) error {
	key := o.GroupVersionKind().String() + "/" + o.Namespace + "/" + o.Name
	return s.patches.do(ctx, key, func(ctx context.Context) error {
		target := &metav1.PartialObjectMetadata{}
		target.SetGroupVersionKind(o.GroupVersionKind())
		target.Name, target.Namespace = o.Name, o.Namespace
		patch := fmt.Sprintf(`{"metadata":{"annotations":{%q:%q}}}`, fluxmeta.ReconcileRequestAnnotation, time.Now().Format(time.RFC3339Nano))
		if err := s.writer.Patch(ctx, target, client.RawPatch(types.MergePatchType, []byte(patch))); err != nil {
			return fmt.Errorf("failed to annotate %s %s/%s: %w", o.Kind, o.Namespace, o.Name, err)
		}
		return nil
	})
}

// tokenTTL is how long a Receiver's Secret is reused: a rotated token takes effect within it.
const tokenTTL = 10 * time.Second

// tokens caches what the Receivers' Secrets hold, read from the API server.
type tokens struct {
	reader client.Reader
	mu     sync.Mutex
	m      map[types.UID]tokenEntry
}

type tokenEntry struct {
	secret webhook.Secret
	at     time.Time
}

func newTokens(reader client.Reader) *tokens {
	return &tokens{reader: reader, m: map[types.UID]tokenEntry{}}
}

// get returns the Secret of recv.
func (t *tokens) get(ctx context.Context, recv *notificationv1.Receiver) (webhook.Secret, error) {
	t.mu.Lock()
	e, ok := t.m[recv.UID]
	t.mu.Unlock()
	if ok && time.Since(e.at) < tokenTTL {
		return e.secret, nil
	}
	s, err := ReadSecret(ctx, t.reader, recv)
	if err != nil {
		return webhook.Secret{}, err
	}
	t.mu.Lock()
	t.m[recv.UID] = tokenEntry{secret: s, at: time.Now()}
	t.mu.Unlock()
	return s, nil
}

// ReadSecret reads a Receiver's Secret: its token, and the email and audience of gcr.
func ReadSecret(ctx context.Context, r client.Reader, recv *notificationv1.Receiver) (webhook.Secret, error) {
	if recv.Spec.SecretRef == nil {
		return webhook.Secret{}, errors.New("spec.secretRef is not set")
	}
	var sec corev1.Secret
	key := client.ObjectKey{Namespace: recv.Namespace, Name: recv.Spec.SecretRef.Name}
	if err := r.Get(ctx, key, &sec); err != nil {
		return webhook.Secret{}, fmt.Errorf("unable to read token from secret '%s': %w", key, err)
	}
	token := string(sec.Data["token"])
	if token == "" {
		return webhook.Secret{}, fmt.Errorf("unable to read token from secret '%s': the secret has no 'token'", key)
	}
	return webhook.Secret{Token: token, Email: string(sec.Data["email"]), Audience: string(sec.Data["audience"])}, nil
}

// filterCache keeps the compiled filters of each Receiver generation.
type filterCache struct {
	mu sync.Mutex
	m  map[types.UID]compiledFilters
}

type compiledFilters struct {
	generation  int64
	global      *Filter
	perResource []*Filter
	err         error
}

func newFilterCache() *filterCache { return &filterCache{m: map[types.UID]compiledFilters{}} }

// get returns the compiled spec.resourceFilter and spec.resources[].filter of recv.
func (c *filterCache) get(recv *notificationv1.Receiver) (*Filter, []*Filter, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if f, ok := c.m[recv.UID]; ok && f.generation == recv.Generation {
		return f.global, f.perResource, f.err
	}
	f := compiledFilters{generation: recv.Generation}
	f.global, f.perResource, f.err = CompileFilters(recv)
	c.m[recv.UID] = f
	return f.global, f.perResource, f.err
}

// CompileFilters compiles a Receiver's spec.resourceFilter and each spec.resources[].filter;
// absent filters are nil.
func CompileFilters(recv *notificationv1.Receiver) (*Filter, []*Filter, error) {
	var global *Filter
	if recv.Spec.ResourceFilter != "" {
		var err error
		if global, err = CompileFilter("spec.resourceFilter", recv.Spec.ResourceFilter); err != nil {
			return nil, nil, err
		}
	}
	per := make([]*Filter, len(recv.Spec.Resources))
	for i, res := range recv.Spec.Resources {
		if res.Filter == "" {
			continue
		}
		f, err := CompileFilter(fmt.Sprintf("spec.resources[%d].filter", i), res.Filter)
		if err != nil {
			return nil, nil, err
		}
		per[i] = f
	}
	return global, per, nil
}
