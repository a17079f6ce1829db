package chart

import (
	"errors"
	"fmt"
	"io/fs"
	"os"

	securejoin "github.com/cyphar/filepath-securejoin"
	helmchart "helm.sh/helm/v3/pkg/chart"
	"helm.sh/helm/v3/pkg/chartutil"
	"sigs.k8s.io/yaml"
)

// valuesFile is the name of a chart's default values file.
const valuesFile = "values.yaml"

// MergeFileValues merges the values files at paths relative to root (a source artifact), in
// order, later ones overriding earlier ones. With ignoreMissing, missing files are skipped.
// It returns the merged values and the paths it used.
func MergeFileValues(root string, paths []string, ignoreMissing bool) (map[string]any, []string, error) {
	return mergeValues(paths, ignoreMissing, func(p string) ([]byte, error) {
		full, err := securejoin.SecureJoin(root, p)
		if err != nil {
			return nil, err
		}
		data, err := os.ReadFile(full)
		if errors.Is(err, fs.ErrNotExist) {
			return nil, errMissing
		}
		return data, err
	})
}

// MergeChartValues merges the values files at paths relative to the chart's root, such as
// "values.yaml" or "values-prod.yaml", like MergeFileValues.
func MergeChartValues(c *helmchart.Chart, paths []string, ignoreMissing bool) (map[string]any, []string, error) {
	return mergeValues(paths, ignoreMissing, func(p string) ([]byte, error) {
		for _, f := range c.Raw {
			if f.Name == p {
				return f.Data, nil
			}
		}
		return nil, errMissing
	})
}

var errMissing = errors.New("missing")

func mergeValues(paths []string, ignoreMissing bool, read func(string) ([]byte, error)) (map[string]any, []string, error) {
	merged := map[string]any{}
	used := make([]string, 0, len(paths))
	for _, p := range paths {
		data, err := read(p)
		if errors.Is(err, errMissing) {
			if ignoreMissing {
				continue
			}
			return nil, nil, fmt.Errorf("values file %q not found", p)
		}
		if err != nil {
			return nil, nil, fmt.Errorf("failed to read values file %q: %w", p, err)
		}
		values, err := chartutil.ReadValues(data)
		if err != nil {
			return nil, nil, fmt.Errorf("failed to parse values file %q: %w", p, err)
		}
		merged = mergeMaps(merged, values)
		used = append(used, p)
	}
	return merged, used, nil
}

// mergeMaps returns a merged into b's keys recursively: b's values win, except that two maps
// under one key are merged.
func mergeMaps(a, b map[string]any) map[string]any {
	out := make(map[string]any, len(a))
	for k, v := range a {
		out[k] = v
	}
	for k, v := range b {
		if bm, ok := v.(map[string]any); ok {
			if am, ok := out[k].(map[string]any); ok {
				out[k] = mergeMaps(am, bm)
				continue
			}
		}
		out[k] = v
	}
	return out
}

// SetValues makes values the chart's values.yaml.
func SetValues(c *helmchart.Chart, values map[string]any) error {
	data, err := yaml.Marshal(values)
	if err != nil {
		return fmt.Errorf("failed to marshal merged values: %w", err)
	}
	c.Values = values
	for _, f := range c.Raw {
		if f.Name == valuesFile {
			f.Data = data
			return nil
		}
	}
	c.Raw = append(c.Raw, &helmchart.File{Name: valuesFile, Data: data})
	return nil
}
