package cmd

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"

	"github.com/spf13/cobra"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	apimeta "k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/ferry-gitops/ferry/cli/internal/kinds"
	fluxmeta "github.com/ferry-gitops/ferry/shared/api/meta"
)

// restConfig loads the configuration of the cluster that --kubeconfig and --context select.
func (a *app) restConfig() (*rest.Config, error) {
	rules := clientcmd.NewDefaultClientConfigLoadingRules()
	rules.ExplicitPath = a.flags.kubeconfig
	overrides := &clientcmd.ConfigOverrides{CurrentContext: a.flags.context}
	cfg, err := clientcmd.NewNonInteractiveDeferredLoadingClientConfig(rules, overrides).ClientConfig()
	if err != nil {
		return nil, fmt.Errorf("failed to load the kubeconfig: %w", err)
	}
	// The CLI makes few requests, but waits poll: lift client-go's default of 5 per second.
	cfg.QPS, cfg.Burst = 50, 100
	return cfg, nil
}

// client connects to the cluster that --kubeconfig and --context select.
func (a *app) client() (client.Client, error) {
	cfg, err := a.restConfig()
	if err != nil {
		return nil, err
	}
	scheme := runtime.NewScheme()
	if err := errors.Join(kinds.AddToScheme(scheme), clientgoscheme.AddToScheme(scheme),
		apiextensionsv1.AddToScheme(scheme)); err != nil {
		return nil, fmt.Errorf("failed to build the scheme: %w", err)
	}
	c, err := client.New(cfg, client.Options{Scheme: scheme})
	if err != nil {
		return nil, fmt.Errorf("failed to create the Kubernetes client: %w", err)
	}
	return c, nil
}

// connect bounds the command's context by --timeout and connects to the cluster; cancel
// releases the context.
func (a *app) connect(cmd *cobra.Command) (context.Context, context.CancelFunc, client.Client, error) {
	c, err := a.client()
	if err != nil {
		return nil, nil, nil, err
	}
	ctx, cancel := a.withTimeout(cmd.Context())
	return ctx, cancel, c, nil
}

// get reads the object of kind k named by key.
func get(ctx context.Context, c client.Client, k *kinds.Kind, key types.NamespacedName) (kinds.Object, error) {
	obj := k.New()
	if err := c.Get(ctx, key, obj); err != nil {
		return nil, fmt.Errorf("failed to get %s %s: %w", k, key, err)
	}
	return obj, nil
}

// list returns the objects of kind k in namespace (every namespace when it is empty),
// only the one called name when name is set, sorted by namespace and name.
func list(ctx context.Context, c client.Client, k *kinds.Kind, namespace, name string) ([]kinds.Object, error) {
	l := k.NewList()
	var opts []client.ListOption
	if namespace != "" {
		opts = append(opts, client.InNamespace(namespace))
	}
	if name != "" {
		opts = append(opts, client.MatchingFields{"metadata.name": name})
	}
	if err := c.List(ctx, l, opts...); err != nil {
		return nil, fmt.Errorf("failed to list %s objects: %w", k, err)
	}
	items, err := apimeta.ExtractList(l)
	if err != nil {
		return nil, fmt.Errorf("failed to read the %s list: %w", k, err)
	}
	objs := make([]kinds.Object, 0, len(items))
	for _, item := range items {
		obj, ok := item.(kinds.Object)
		if !ok {
			return nil, fmt.Errorf("failed to read the %s list: unexpected item type %T", k, item)
		}
		objs = append(objs, obj)
	}
	sort.SliceStable(objs, func(i, j int) bool {
		if objs[i].GetNamespace() != objs[j].GetNamespace() {
			return objs[i].GetNamespace() < objs[j].GetNamespace()
		}
		return objs[i].GetName() < objs[j].GetName()
	})
	return objs, nil
}

// mergePatch applies a JSON merge patch to obj and reads the result back into it.
func mergePatch(ctx context.Context, c client.Client, obj kinds.Object, patch map[string]any) error {
	data, err := json.Marshal(patch)
	if err != nil {
		return fmt.Errorf("failed to encode the patch: %w", err)
	}
	return c.Patch(ctx, obj, client.RawPatch(types.MergePatchType, data))
}

// requestPatch is the merge patch that sets the reconcile request annotation to token.
func requestPatch(token string) map[string]any {
	return map[string]any{"metadata": map[string]any{"annotations": map[string]any{
		fluxmeta.ReconcileRequestAnnotation: token,
	}}}
}

// suspendPatch is the merge patch that sets spec.suspend.
func suspendPatch(suspend bool) map[string]any {
	return map[string]any{"spec": map[string]any{"suspend": suspend}}
}

// targets returns the names a suspend or resume acts on: those given, or, with all, the
// names of every object of kind k in namespace.
func targets(ctx context.Context, c client.Client, k *kinds.Kind, namespace string, given []string, all bool) ([]string, error) {
	switch {
	case all && len(given) > 0:
		return nil, errors.New("either names or --all may be given, not both")
	case !all && len(given) == 0:
		return nil, fmt.Errorf("a %s name, or --all, is required", k)
	case !all:
		return given, nil
	}
	objs, err := list(ctx, c, k, namespace, "")
	if err != nil {
		return nil, err
	}
	out := make([]string, 0, len(objs))
	for _, obj := range objs {
		out = append(out, obj.GetName())
	}
	return out, nil
}
