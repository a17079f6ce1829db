package substitute

import (
	"context"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	kustomizev1 "github.com/ferry-gitops/ferry/shared/api/kustomize/v1"
)

// Variables reads the variables of spec.postBuild for a Kustomization in namespace: the data
// of each substituteFrom ConfigMap or Secret (read with c; an optional one that does not
// exist gives nothing), then postBuild.substitute, merged by MergeVars. With a nil c the
// substituteFrom sources are skipped (the CLI's --dry-run).
func Variables(ctx context.Context, c client.Reader, namespace string, pb *kustomizev1.PostBuild) (map[string]string, error) {
	if pb == nil {
		return nil, nil
	}
	var from []map[string]string
	for _, ref := range pb.SubstituteFrom {
		if c == nil {
			break
		}
		data, err := referencedData(ctx, c, namespace, ref)
		if err != nil {
			return nil, err
		}
		from = append(from, data)
	}
	return MergeVars(from, pb.Substitute), nil
}

// referencedData reads the ConfigMap or Secret of one substituteFrom entry.
func referencedData(ctx context.Context, c client.Reader, ns string, ref kustomizev1.SubstituteReference) (map[string]string, error) {
	key := types.NamespacedName{Namespace: ns, Name: ref.Name}
	var cm corev1.ConfigMap
	var secret corev1.Secret
	var err error
	switch ref.Kind {
	case "ConfigMap":
		err = c.Get(ctx, key, &cm)
	case "Secret":
		err = c.Get(ctx, key, &secret)
	default:
		return nil, fmt.Errorf("substituteFrom kind '%s' is not supported: use ConfigMap or Secret", ref.Kind)
	}
	if apierrors.IsNotFound(err) && ref.Optional {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("failed to get substituteFrom %s '%s': %w", ref.Kind, key, err)
	}
	if ref.Kind == "ConfigMap" {
		return cm.Data, nil
	}
	return SecretVars(secret.Data), nil
}

// PostBuild substitutes vars in objs as spec.postBuild asks: as in Flux, only when some
// variable is defined, unless substituteStrategy is Always (which applies ${var:=default}
// with no variable at all). strict makes a variable without a value and default an error.
func PostBuild(objs []*unstructured.Unstructured, pb *kustomizev1.PostBuild, vars map[string]string, strict bool) error {
	if pb == nil || (len(vars) == 0 && pb.SubstituteStrategy != kustomizev1.SubstituteAlways) {
		return nil
	}
	return Apply(objs, vars, strict)
}
