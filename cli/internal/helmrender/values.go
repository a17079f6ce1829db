package helmrender

import (
	"encoding/json"
	"fmt"

	"helm.sh/helm/v3/pkg/strvals"
	"sigs.k8s.io/yaml"

	helmv2 "github.com/ferry-gitops/ferry/shared/api/helm/v2"
)

// Lookup returns the data of the ConfigMap or Secret a values reference names, and whether
// it exists.
type Lookup func(kind, name string) (map[string]string, bool, error)

// Values composes the release's values as helm-controller does: each valuesFrom reference
// in order (a whole YAML document merged in, or with targetPath one value set at that
// path), then spec.values merged on top.
func Values(hr *helmv2.HelmRelease, lookup Lookup) (map[string]any, error) {
	out := map[string]any{}
	for _, ref := range hr.Spec.ValuesFrom {
		data, found, err := lookup(ref.Kind, ref.Name)
		if err != nil {
			return nil, err
		}
		key := ref.ValuesKey
		if key == "" {
			key = helmv2.DefaultValuesKey
		}
		value, ok := data[key]
		if !found || !ok {
			if ref.Optional {
				continue
			}
			return nil, fmt.Errorf("could not find key %q in %s %s/%s", key, ref.Kind, hr.Namespace, ref.Name)
		}
		if ref.TargetPath != "" {
			if err := strvals.ParseInto(ref.TargetPath+"="+value, out); err != nil {
				return nil, fmt.Errorf("failed to set %s from %s %s: %w", ref.TargetPath, ref.Kind, ref.Name, err)
			}
			continue
		}
		var m map[string]any
		if err := yaml.Unmarshal([]byte(value), &m); err != nil {
			return nil, fmt.Errorf("failed to decode the values of %s %s: %w", ref.Kind, ref.Name, err)
		}
		out = MergeValues(out, m)
	}
	if hr.Spec.Values != nil && len(hr.Spec.Values.Raw) > 0 {
		var m map[string]any
		if err := json.Unmarshal(hr.Spec.Values.Raw, &m); err != nil {
			return nil, fmt.Errorf("failed to decode spec.values: %w", err)
		}
		out = MergeValues(out, m)
	}
	return out, nil
}

// MergeValues merges b into a, recursively for maps, b winning, and returns a.
func MergeValues(a, b map[string]any) map[string]any {
	for k, v := range b {
		if bm, ok := v.(map[string]any); ok {
			if am, ok := a[k].(map[string]any); ok {
				a[k] = MergeValues(am, bm)
				continue
			}
		}
		a[k] = v
	}
	return a
}
