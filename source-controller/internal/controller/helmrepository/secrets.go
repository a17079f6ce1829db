package helmrepository

import (
	"context"

	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/ferry-gitops/ferry/shared/api/meta"
	sourcev1 "github.com/ferry-gitops/ferry/shared/api/source/v1"
	sourcectrl "github.com/ferry-gitops/ferry/source-controller/internal/controller"
	"github.com/ferry-gitops/ferry/source-controller/internal/helm/registry"
	"github.com/ferry-gitops/ferry/source-controller/internal/helm/repository"
)

// Options returns the client settings of a repository: credentials and TLS from the Secrets
// named by spec.secretRef and spec.certSecretRef, spec.passCredentials and spec.timeout.
func Options(ctx context.Context, c client.Reader, obj *sourcev1.HelmRepository) (repository.Options, error) {
	auth, cert, err := secrets(ctx, c, obj)
	if err != nil {
		return repository.Options{}, err
	}
	opts, err := repository.OptionsFromSecrets(auth, cert)
	if err != nil {
		return repository.Options{}, err
	}
	opts.PassCredentials = obj.Spec.PassCredentials
	opts.Timeout = obj.GetTimeout()
	return opts, nil
}

// secrets returns the data of the Secrets named by spec.secretRef and spec.certSecretRef
// (nil for a reference that is not set).
func secrets(ctx context.Context, c client.Reader, obj *sourcev1.HelmRepository) (auth, cert map[string][]byte, err error) {
	if auth, err = secretData(ctx, c, obj.Namespace, obj.Spec.SecretRef); err != nil {
		return nil, nil, err
	}
	if cert, err = secretData(ctx, c, obj.Namespace, obj.Spec.CertSecretRef); err != nil {
		return nil, nil, err
	}
	return auth, cert, nil
}

// secretData returns the data of the referenced Secret, or nil without a reference.
func secretData(ctx context.Context, c client.Reader, namespace string, ref *meta.LocalObjectReference) (map[string][]byte, error) {
	if ref == nil || ref.Name == "" {
		return nil, nil
	}
	data, err := sourcectrl.SecretData(ctx, c, namespace, ref.Name)
	if err == nil && data == nil {
		data = map[string][]byte{}
	}
	return data, err
}

// dockerConfigKey is the data key of a kubernetes.io/dockerconfigjson Secret.
const dockerConfigKey = ".dockerconfigjson"

// RegistryOptions returns the client settings of an OCI repository: basic-auth or docker
// config credentials from spec.secretRef, TLS from spec.certSecretRef and spec.insecure.
func RegistryOptions(ctx context.Context, c client.Reader, obj *sourcev1.HelmRepository) (registry.Options, error) {
	auth, cert, err := secrets(ctx, c, obj)
	if err != nil {
		return registry.Options{}, err
	}
	o := registry.Options{Insecure: obj.Spec.Insecure, DockerConfigJSON: auth[dockerConfigKey]}
	if len(o.DockerConfigJSON) == 0 && auth != nil {
		basic, err := repository.OptionsFromSecrets(auth, nil)
		if err != nil {
			return registry.Options{}, err
		}
		o.Username, o.Password = basic.Username, basic.Password
	}
	if cert != nil {
		if o.TLS, err = repository.TLSConfig(cert); err != nil {
			return registry.Options{}, err
		}
	}
	return o, nil
}
