package helmrelease

import (
	"helm.sh/helm/v3/pkg/release"
	"helm.sh/helm/v3/pkg/releaseutil"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/yaml"

	fluxmeta "github.com/ferry-gitops/ferry/shared/api/meta"
	"github.com/ferry-gitops/ferry/shared/apply"
)

// clusterScoped are the built-in kinds that have no namespace; the objects of any other kind
// without one in the manifest are in the release's namespace.
var clusterScoped = map[string]bool{
	"Namespace": true, "CustomResourceDefinition": true, "ClusterRole": true, "ClusterRoleBinding": true,
	"PersistentVolume": true, "StorageClass": true, "PriorityClass": true, "IngressClass": true,
	"ValidatingWebhookConfiguration": true, "MutatingWebhookConfiguration": true, "APIService": true,
	"RuntimeClass": true, "CSIDriver": true, "ValidatingAdmissionPolicy": true, "ValidatingAdmissionPolicyBinding": true,
}

// inventoryOf lists the objects of the release's manifest (hooks excluded, as Helm does not
// keep them), or nil for an empty manifest.
func inventoryOf(rel *release.Release) *fluxmeta.ResourceInventory {
	if rel == nil || rel.Manifest == "" {
		return nil
	}
	var objects []*unstructured.Unstructured
	for _, doc := range releaseutil.SplitManifests(rel.Manifest) {
		u := &unstructured.Unstructured{}
		if err := yaml.Unmarshal([]byte(doc), &u.Object); err != nil || u.GetKind() == "" {
			continue
		}
		if u.GetNamespace() == "" && !clusterScoped[u.GetKind()] {
			u.SetNamespace(rel.Namespace)
		}
		objects = append(objects, u)
	}
	if len(objects) == 0 {
		return nil
	}
	return apply.InventoryFrom(objects)
}
