// Package postrender post-renders the manifests of a Helm release in memory: the Kustomize
// patches and image overrides of spec.postRenderers in order, then the labels and annotations
// of spec.commonMetadata, then the labels naming the HelmRelease the objects belong to.
package postrender

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"sort"

	helmpostrender "helm.sh/helm/v3/pkg/postrender"
	"sigs.k8s.io/kustomize/kyaml/kio"
	kyaml "sigs.k8s.io/kustomize/kyaml/yaml"

	helmv2 "github.com/ferry-gitops/ferry/shared/api/helm/v2"
)

// Chain runs post-renderers one after the other, each on the output of the previous one.
type Chain []helmpostrender.PostRenderer

// Run post-renders manifests through every element of the chain.
func (c Chain) Run(manifests *bytes.Buffer) (*bytes.Buffer, error) {
	var err error
	for _, r := range c {
		if manifests, err = r.Run(manifests); err != nil {
			return nil, err
		}
	}
	return manifests, nil
}

// Build returns the post-renderer of obj: its Kustomize post-renderers, its common metadata,
// and the helm.toolkit.fluxcd.io/name and namespace labels.
func Build(obj *helmv2.HelmRelease) helmpostrender.PostRenderer {
	var c Chain
	for _, pr := range obj.Spec.PostRenderers {
		if pr.Kustomize != nil {
			c = append(c, &Kustomize{Spec: *pr.Kustomize})
		}
	}
	if cm := obj.Spec.CommonMetadata; cm != nil && (len(cm.Labels) > 0 || len(cm.Annotations) > 0) {
		c = append(c, &Metadata{Labels: cm.Labels, Annotations: cm.Annotations})
	}
	c = append(c, &Metadata{Labels: map[string]string{
		helmv2.NameLabel:      obj.Name,
		helmv2.NamespaceLabel: obj.Namespace,
	}})
	return c
}

// Metadata sets labels and annotations on every object (not on selectors or templates).
type Metadata struct {
	// Labels are set on every object, replacing values of the same keys.
	Labels map[string]string
	// Annotations are set on every object, replacing values of the same keys.
	Annotations map[string]string
}

// Run sets the labels and annotations on every object of manifests.
func (m *Metadata) Run(manifests *bytes.Buffer) (*bytes.Buffer, error) {
	nodes, err := kio.FromBytes(manifests.Bytes())
	if err != nil {
		return nil, fmt.Errorf("failed to parse the rendered manifests: %w", err)
	}
	for _, n := range nodes {
		for _, k := range sortedKeys(m.Labels) {
			if err := n.PipeE(kyaml.SetLabel(k, m.Labels[k])); err != nil {
				return nil, fmt.Errorf("failed to set label %s: %w", k, err)
			}
		}
		for _, k := range sortedKeys(m.Annotations) {
			if err := n.PipeE(kyaml.SetAnnotation(k, m.Annotations[k])); err != nil {
				return nil, fmt.Errorf("failed to set annotation %s: %w", k, err)
			}
		}
	}
	out, err := kio.StringAll(nodes)
	if err != nil {
		return nil, fmt.Errorf("failed to write the post-rendered manifests: %w", err)
	}
	return bytes.NewBufferString(out), nil
}

// Digest returns the 'sha256:<hex>' digest of the JSON encoding of v, as recorded in
// status.observedPostRenderersDigest and status.observedCommonMetadataDigest; nothing for a
// nil or empty v.
func Digest(v any) string {
	b, err := json.Marshal(v)
	if err != nil || string(b) == "null" || string(b) == "[]" {
		return ""
	}
	sum := sha256.Sum256(b)
	return "sha256:" + hex.EncodeToString(sum[:])
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
