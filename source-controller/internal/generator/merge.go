package generator

import (
	"fmt"

	"sigs.k8s.io/yaml"

	"github.com/ferry-gitops/ferry/shared/helm/values"
)

// mergeYAML merges the YAML document overlay into base as Helm merges values files given
// with several --values flags: maps are merged key by key, anything else (lists too) is
// replaced by overlay's value.
func mergeYAML(base, overlay []byte) ([]byte, error) {
	b, err := yamlMap(base)
	if err != nil {
		return nil, err
	}
	o, err := yamlMap(overlay)
	if err != nil {
		return nil, err
	}
	out, err := yaml.Marshal(values.Merge(b, o))
	if err != nil {
		return nil, fmt.Errorf("failed to encode merged YAML: %w", err)
	}
	return out, nil
}

// yamlMap decodes a YAML document that is a map (or empty).
func yamlMap(data []byte) (map[string]any, error) {
	m := map[string]any{}
	if err := yaml.Unmarshal(data, &m); err != nil {
		return nil, fmt.Errorf("not a YAML map: %w", err)
	}
	if m == nil {
		m = map[string]any{}
	}
	return m, nil
}
