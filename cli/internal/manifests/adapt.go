package manifests

import (
	"fmt"
	"strings"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// adapt sets on a Deployment what opts asks beyond Kustomize's overlay: the controllers'
// flags (--watch-all-namespaces, --log-level, the cluster domain of service addresses), the
// image pull secret and the tolerations.
func adapt(obj *unstructured.Unstructured, opts Options) error {
	if obj.GetKind() != "Deployment" {
		return nil
	}
	containers, _, err := unstructured.NestedSlice(obj.Object, "spec", "template", "spec", "containers")
	if err != nil {
		return fmt.Errorf("failed to read the containers of Deployment %s: %w", obj.GetName(), err)
	}
	for i, c := range containers {
		m, ok := c.(map[string]any)
		if !ok {
			continue
		}
		args, _, _ := unstructured.NestedStringSlice(m, "args")
		args = setFlag(args, "watch-all-namespaces", fmt.Sprint(opts.WatchAllNamespaces))
		if opts.LogLevel != "" {
			args = setFlag(args, "log-level", opts.LogLevel)
		}
		if d := opts.ClusterDomain; d != "" && d != "cluster.local" {
			for j := range args {
				args[j] = strings.ReplaceAll(args[j], ".svc.cluster.local.", ".svc."+d+".")
			}
		}
		if err := unstructured.SetNestedStringSlice(m, args, "args"); err != nil {
			return fmt.Errorf("failed to set the args of Deployment %s: %w", obj.GetName(), err)
		}
		containers[i] = m
	}
	if err := unstructured.SetNestedSlice(obj.Object, containers, "spec", "template", "spec", "containers"); err != nil {
		return fmt.Errorf("failed to set the containers of Deployment %s: %w", obj.GetName(), err)
	}
	if opts.ImagePullSecret != "" {
		secrets := []any{map[string]any{"name": opts.ImagePullSecret}}
		if err := unstructured.SetNestedSlice(obj.Object, secrets, "spec", "template", "spec", "imagePullSecrets"); err != nil {
			return fmt.Errorf("failed to set the image pull secret of Deployment %s: %w", obj.GetName(), err)
		}
	}
	if len(opts.TolerationKeys) > 0 {
		var tolerations []any
		for _, key := range opts.TolerationKeys {
			tolerations = append(tolerations, map[string]any{"key": key, "operator": "Exists"})
		}
		if err := unstructured.SetNestedSlice(obj.Object, tolerations, "spec", "template", "spec", "tolerations"); err != nil {
			return fmt.Errorf("failed to set the tolerations of Deployment %s: %w", obj.GetName(), err)
		}
	}
	return nil
}

// setFlag sets --name=value in args: it replaces the flag where it is, or appends it when
// the flag is not there.
func setFlag(args []string, name, value string) []string {
	prefix := "--" + name + "="
	for i, a := range args {
		if strings.HasPrefix(a, prefix) || a == "--"+name {
			args[i] = prefix + value
			return args
		}
	}
	return append(args, prefix+value)
}
