package values

import (
	"context"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// Reader is the Getter of the ConfigMaps and Secrets of one namespace, read with a client
// (helm-controller reads them from the API server, never from a cache).
type Reader struct {
	// Client reads the objects.
	Client client.Reader
	// Namespace is the HelmRelease's namespace.
	Namespace string
}

// GetData returns the data of a ConfigMap (string and binary) or a Secret.
func (r Reader) GetData(ctx context.Context, kind, name string) (map[string][]byte, bool, error) {
	key := types.NamespacedName{Namespace: r.Namespace, Name: name}
	if kind == "Secret" {
		var s corev1.Secret
		if err := r.Client.Get(ctx, key, &s); err != nil {
			return nil, false, ignoreNotFound(err)
		}
		return s.Data, true, nil
	}
	var cm corev1.ConfigMap
	if err := r.Client.Get(ctx, key, &cm); err != nil {
		return nil, false, ignoreNotFound(err)
	}
	data := make(map[string][]byte, len(cm.Data)+len(cm.BinaryData))
	for k, d := range cm.BinaryData {
		data[k] = d
	}
	for k, d := range cm.Data {
		data[k] = []byte(d)
	}
	return data, true, nil
}

func ignoreNotFound(err error) error {
	if apierrors.IsNotFound(err) {
		return nil
	}
	return err
}
