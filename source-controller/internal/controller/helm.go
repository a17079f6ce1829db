package controller

import (
	"context"
	"fmt"
	"net/http"
	"net/url"

	"sigs.k8s.io/controller-runtime/pkg/client"

	fluxmeta "github.com/ferry-gitops/ferry/shared/api/meta"
	sourcev1 "github.com/ferry-gitops/ferry/shared/api/source/v1"
	"github.com/ferry-gitops/ferry/shared/cloud"
	"github.com/ferry-gitops/ferry/shared/secrets"
	"github.com/ferry-gitops/ferry/source-controller/internal/helm/registry"
	"github.com/ferry-gitops/ferry/source-controller/internal/helm/repository"
)

// HelmRepositoryOptions returns the client settings of a HelmRepository of type default, as
// the HelmRepository and HelmChart reconcilers reach it: credentials and TLS from the Secrets
// named by spec.secretRef and spec.certSecretRef, spec.passCredentials and spec.timeout.
func HelmRepositoryOptions(ctx context.Context, c client.Reader, obj *sourcev1.HelmRepository) (repository.Options, error) {
	auth, cert, err := helmSecrets(ctx, c, obj)
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

// HelmRegistryOptions returns the client settings of a HelmRepository of type oci: basic-auth
// or docker config credentials from spec.secretRef, or the cloud login of spec.provider (with
// tokens) as sa or, when nil, the controller, TLS from spec.certSecretRef and spec.insecure.
func HelmRegistryOptions(ctx context.Context, c client.Reader, tokens *cloud.Cache, obj *sourcev1.HelmRepository, sa *cloud.ServiceAccount) (registry.Options, error) {
	auth, cert, err := helmSecrets(ctx, c, obj)
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
	if cloud.IsCloud(obj.Spec.Provider) {
		return o, cloudLogin(ctx, tokens, obj, &o, sa)
	}
	return o, nil
}

// cloudLogin logs in to the registry of an OCI HelmRepository with the identity of
// spec.provider of sa (--default-service-account) or, when sa is nil, the controller's,
// reaching it (for Azure's exchange) with the repository's TLS settings.
func cloudLogin(ctx context.Context, tokens *cloud.Cache, obj *sourcev1.HelmRepository, o *registry.Options, sa *cloud.ServiceAccount) error {
	u, err := url.Parse(obj.Spec.URL)
	if err != nil {
		return fmt.Errorf("invalid OCI repository URL %q: %w", obj.Spec.URL, err)
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.TLSClientConfig = o.TLS
	defer tr.CloseIdleConnections()
	l, err := tokens.RegistryLoginAs(ctx, obj.Spec.Provider, u.Host, &http.Client{Transport: tr}, sa)
	if err != nil {
		return err
	}
	o.Username, o.Password, o.DockerConfigJSON = l.Username, l.Password, nil
	return nil
}

// dockerConfigKey is the data key of a kubernetes.io/dockerconfigjson Secret.
const dockerConfigKey = ".dockerconfigjson"

// helmSecrets returns the data of the Secrets named by spec.secretRef and spec.certSecretRef
// (nil for a reference that is not set).
func helmSecrets(ctx context.Context, c client.Reader, obj *sourcev1.HelmRepository) (auth, cert map[string][]byte, err error) {
	if auth, err = SecretData(ctx, c, obj.Namespace, obj.Spec.SecretRef); err != nil {
		return nil, nil, err
	}
	if cert, err = SecretData(ctx, c, obj.Namespace, obj.Spec.CertSecretRef); err != nil {
		return nil, nil, err
	}
	return auth, cert, nil
}

// SecretData returns the data of the Secret ref names in namespace (never nil for a Secret
// that exists), or nil without a reference. A missing Secret is said so plainly.
func SecretData(ctx context.Context, c client.Reader, namespace string, ref *fluxmeta.LocalObjectReference) (map[string][]byte, error) {
	if ref == nil || ref.Name == "" {
		return nil, nil
	}
	secret, err := secrets.Get(ctx, c, namespace, ref.Name)
	if err != nil {
		return nil, err
	}
	if secret.Data == nil {
		return map[string][]byte{}, nil
	}
	return secret.Data, nil
}
