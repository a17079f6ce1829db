// Package values composes the Helm values of a HelmRelease: the documents and single values
// of spec.valuesFrom (ConfigMaps and Secrets, merged in order) overlaid with spec.values, and
// the digests under which the controller records them.
package values

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"helm.sh/helm/v3/pkg/strvals"
	"sigs.k8s.io/yaml"

	helmv2 "github.com/ferry-gitops/ferry/shared/api/helm/v2"
)

// Getter reads the data of a ConfigMap ("ConfigMap") or Secret ("Secret") in the namespace of
// the HelmRelease. It returns found=false, and no error, when the object does not exist.
// ConfigMap string data and binary data are both returned as bytes.
type Getter interface {
	GetData(ctx context.Context, kind, name string) (data map[string][]byte, found bool, err error)
}

// MissingError reports a referenced ConfigMap or Secret that does not exist and is not
// optional: the release waits for it.
type MissingError struct {
	// Kind is ConfigMap or Secret.
	Kind string
	// Name is the object's name.
	Name string
}

// Error names the missing object.
func (e *MissingError) Error() string {
	return fmt.Sprintf("could not find %s '%s' referenced in spec.valuesFrom", e.Kind, e.Name)
}

// ErrInvalid marks values that can never be used as they are: an unparsable document, a
// missing key or an invalid target path. Only a change of the referenced data mends it.
var ErrInvalid = errors.New("invalid values")

// Compose reads every spec.valuesFrom reference in order, merging each document at the root
// (or setting each single value at its targetPath), and merges inline over the result. A
// missing optional reference or key is skipped; a missing required reference is a
// *MissingError. The chart's own defaults are not included: Helm coalesces them.
func Compose(ctx context.Context, g Getter, refs []helmv2.ValuesReference, inline []byte) (map[string]any, error) {
	result := map[string]any{}
	for _, ref := range refs {
		if err := composeRef(ctx, g, ref, result); err != nil {
			return nil, err
		}
	}
	if len(inline) > 0 && string(inline) != "null" {
		doc := map[string]any{}
		if err := json.Unmarshal(inline, &doc); err != nil {
			return nil, fmt.Errorf("%w: failed to parse spec.values: %w", ErrInvalid, err)
		}
		result = Merge(result, doc)
	}
	return result, nil
}

// composeRef merges the values of one reference into result.
func composeRef(ctx context.Context, g Getter, ref helmv2.ValuesReference, result map[string]any) error {
	if ref.Kind != "ConfigMap" && ref.Kind != "Secret" {
		return fmt.Errorf("%w: unsupported valuesFrom kind '%s'", ErrInvalid, ref.Kind)
	}
	data, found, err := g.GetData(ctx, ref.Kind, ref.Name)
	if err != nil {
		return fmt.Errorf("failed to get %s '%s': %w", ref.Kind, ref.Name, err)
	}
	if !found {
		if ref.Optional {
			return nil
		}
		return &MissingError{Kind: ref.Kind, Name: ref.Name}
	}
	key := ref.GetValuesKey()
	raw, ok := data[key]
	if !ok {
		if ref.Optional {
			return nil
		}
		return fmt.Errorf("%w: missing key '%s' in %s '%s'", ErrInvalid, key, ref.Kind, ref.Name)
	}
	if ref.TargetPath != "" {
		if err := SetPath(result, ref.TargetPath, string(raw), ref.Literal); err != nil {
			return fmt.Errorf("%w: failed to set '%s' from key '%s' of %s '%s': %w", ErrInvalid, ref.TargetPath, key, ref.Kind, ref.Name, err)
		}
		return nil
	}
	doc := map[string]any{}
	if err := yaml.Unmarshal(raw, &doc); err != nil {
		return fmt.Errorf("%w: failed to parse key '%s' of %s '%s': %w", ErrInvalid, key, ref.Kind, ref.Name, err)
	}
	for k, v := range Merge(result, doc) {
		result[k] = v
	}
	return nil
}

// SetPath sets value at path (Helm '--set' syntax, such as 'a.b[0].c') in dest. With literal
// the value is a plain string ('--set-literal'); otherwise it is parsed as '--set' does, and a
// quoted value is kept as a string without its quotes.
func SetPath(dest map[string]any, path, value string, literal bool) error {
	if literal {
		return strvals.ParseLiteralInto(path+"="+value, dest)
	}
	value = strings.TrimSpace(value)
	for _, q := range []string{`'`, `"`} {
		if len(value) >= 2 && strings.HasPrefix(value, q) && strings.HasSuffix(value, q) {
			return strvals.ParseIntoString(path+"="+value[1:len(value)-1], dest)
		}
	}
	return strvals.ParseInto(path+"="+value, dest)
}

// Merge returns base with overlay merged over it: nested maps merge key by key, every other
// value of overlay replaces the one in base. Neither argument is modified.
func Merge(base, overlay map[string]any) map[string]any {
	out := make(map[string]any, len(base)+len(overlay))
	for k, v := range base {
		out[k] = v
	}
	for k, v := range overlay {
		if om, ok := v.(map[string]any); ok {
			if bm, ok := out[k].(map[string]any); ok {
				out[k] = Merge(bm, om)
				continue
			}
		}
		out[k] = v
	}
	return out
}
