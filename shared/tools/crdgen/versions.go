package main

import (
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	"sigs.k8s.io/yaml"
)

// legacyVersion is an older API version that Flux no longer serves but users still write.
// It is served with the storage version's schema plus its legacy fields; the API server
// converts with strategy None (the shapes are compatible), so controllers see only the
// storage version.
type legacyVersion struct {
	group, version string
}

var legacyVersions = []legacyVersion{
	{"helm.toolkit.fluxcd.io", "v2beta1"},
	{"helm.toolkit.fluxcd.io", "v2beta2"},
	{"image.toolkit.fluxcd.io", "v1beta1"},
	{"image.toolkit.fluxcd.io", "v1beta2"},
	{"notification.toolkit.fluxcd.io", "v1beta2"},
}

// legacyColumns are the printer columns the older versions of a kind ("<group>/<Kind>") showed
// where they differ from the storage version's: `kubectl get` of a v1beta2 ImagePolicy shows
// its latestImage as Flux's did.
var legacyColumns = map[string][]apiextensionsv1.CustomResourceColumnDefinition{
	"image.toolkit.fluxcd.io/ImagePolicy": {
		{Name: "LatestImage", Type: "string", JSONPath: ".status.latestImage"},
		{Name: "Ready", Type: "string", JSONPath: `.status.conditions[?(@.type=="Ready")].status`},
		{Name: "Status", Type: "string", JSONPath: `.status.conditions[?(@.type=="Ready")].message`},
		{Name: "Age", Type: "date", JSONPath: ".metadata.creationTimestamp"},
	},
}

// legacy holds, per group and version, a YAML map from kind to a schema fragment with the
// fields that version had and the storage version does not: legacy/<group>_<version>.yaml.
//
//go:embed legacy
var legacy embed.FS

func addLegacyVersions(crd *apiextensionsv1.CustomResourceDefinition) error {
	var storage *apiextensionsv1.CustomResourceDefinitionVersion
	for i := range crd.Spec.Versions {
		if crd.Spec.Versions[i].Storage {
			storage = &crd.Spec.Versions[i]
		}
	}
	if storage == nil {
		return errors.New("no storage version")
	}
	var added []apiextensionsv1.CustomResourceDefinitionVersion
	for _, lv := range legacyVersions {
		if lv.group != crd.Spec.Group {
			continue
		}
		v := *storage.DeepCopy()
		v.Name, v.Storage, v.Served, v.Deprecated = lv.version, false, true, true
		warning := fmt.Sprintf("%s/%s %s is deprecated, upgrade to %s", lv.group, lv.version, crd.Spec.Names.Kind, storage.Name)
		v.DeprecationWarning = &warning
		extra, err := legacyFields(lv, crd.Spec.Names.Kind)
		if err != nil {
			return err
		}
		if extra != nil {
			mergeSchema(v.Schema.OpenAPIV3Schema, extra)
		}
		if cols, ok := legacyColumns[lv.group+"/"+crd.Spec.Names.Kind]; ok {
			v.AdditionalPrinterColumns = cols
		}
		added = append(added, v)
	}
	crd.Spec.Versions = append(crd.Spec.Versions, added...)
	if len(added) > 0 {
		crd.Spec.Conversion = &apiextensionsv1.CustomResourceConversion{Strategy: apiextensionsv1.NoneConverter}
	}
	return nil
}

func legacyFields(lv legacyVersion, kind string) (*apiextensionsv1.JSONSchemaProps, error) {
	data, err := legacy.ReadFile("legacy/" + lv.group + "_" + lv.version + ".yaml")
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var byKind map[string]json.RawMessage
	if err := yaml.Unmarshal(data, &byKind); err != nil {
		return nil, fmt.Errorf("failed to parse legacy fields of %s/%s: %w", lv.group, lv.version, err)
	}
	raw, ok := byKind[kind]
	if !ok {
		return nil, nil
	}
	var props apiextensionsv1.JSONSchemaProps
	if err := json.Unmarshal(raw, &props); err != nil {
		return nil, fmt.Errorf("failed to parse legacy fields of %s/%s %s: %w", lv.group, lv.version, kind, err)
	}
	return &props, nil
}

// mergeSchema adds the properties of extra that dst lacks, descending into objects and array
// items; extra's required lists are not merged (legacy fields are optional).
func mergeSchema(dst, extra *apiextensionsv1.JSONSchemaProps) {
	if extra.Items != nil && extra.Items.Schema != nil && dst.Items != nil && dst.Items.Schema != nil {
		mergeSchema(dst.Items.Schema, extra.Items.Schema)
	}
	for name, p := range extra.Properties {
		cur, ok := dst.Properties[name]
		if !ok {
			if dst.Properties == nil {
				dst.Properties = map[string]apiextensionsv1.JSONSchemaProps{}
			}
			dst.Properties[name] = p
			continue
		}
		mergeSchema(&cur, &p)
		dst.Properties[name] = cur
	}
}
