// Package secrets reads a registry.Config from the Kubernetes objects an object names, the
// way OCIRepository and ImageRepository name them: spec.secretRef (a
// kubernetes.io/dockerconfigjson Secret), spec.serviceAccountName (its imagePullSecrets),
// spec.certSecretRef (ca.crt, tls.crt, tls.key) and spec.proxySecretRef (address, username,
// password). Errors name the Secret and the key, never a value.
package secrets

import (
	"context"
	"fmt"
	"net/url"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"sigs.k8s.io/controller-runtime/pkg/client"

	fluxmeta "github.com/ferry-gitops/ferry/shared/api/meta"
	"github.com/ferry-gitops/ferry/shared/registry"
	sharedsecrets "github.com/ferry-gitops/ferry/shared/secrets"
)

// Refs name the objects, all in one namespace, that hold how to reach a registry; an empty
// name is not read.
type Refs struct {
	// Namespace holds every object named.
	Namespace string
	// Secret is a Secret with a .dockerconfigjson key.
	Secret string
	// ServiceAccount is a ServiceAccount whose imagePullSecrets hold .dockerconfigjson keys.
	ServiceAccount string
	// CertSecret is a Secret with ca.crt and/or tls.crt and tls.key.
	CertSecret string
	// ProxySecret is a Secret with an address key (a URL), and optional username and password.
	ProxySecret string
}

// NewRefs are the refs of an object in namespace whose spec names these (each may be nil
// or empty), as OCIRepository's and ImageRepository's specs do.
func NewRefs(namespace, serviceAccount string, secret, cert, proxy *fluxmeta.LocalObjectReference) Refs {
	refs := Refs{Namespace: namespace, ServiceAccount: serviceAccount}
	if secret != nil {
		refs.Secret = secret.Name
	}
	if cert != nil {
		refs.CertSecret = cert.Name
	}
	if proxy != nil {
		refs.ProxySecret = proxy.Name
	}
	return refs
}

// Config reads the credentials, TLS material and proxy refs names with c (which should read
// from the API server: Secrets are best left out of a controller's cache) into a Config; the
// caller sets Insecure and UserAgent.
func Config(ctx context.Context, c client.Reader, refs Refs) (registry.Config, error) {
	var cfg registry.Config
	if refs.Secret != "" {
		doc, err := dockerConfig(ctx, c, refs.Namespace, refs.Secret)
		if err != nil {
			return cfg, err
		}
		cfg.DockerConfigs = append(cfg.DockerConfigs, doc)
	}
	if refs.ServiceAccount != "" {
		docs, err := pullSecrets(ctx, c, refs.Namespace, refs.ServiceAccount)
		if err != nil {
			return cfg, err
		}
		cfg.DockerConfigs = append(cfg.DockerConfigs, docs...)
	}
	if refs.CertSecret != "" {
		sec, err := sharedsecrets.Get(ctx, c, refs.Namespace, refs.CertSecret)
		if err != nil {
			return cfg, err
		}
		cfg.CAData, cfg.CertData, cfg.KeyData = sec.Data[sharedsecrets.CAKey], sec.Data[sharedsecrets.CertKey], sec.Data[sharedsecrets.KeyKey]
		if len(cfg.CAData)+len(cfg.CertData)+len(cfg.KeyData) == 0 {
			return cfg, fmt.Errorf("failed to read TLS material from secret '%s/%s': it has none of ca.crt, tls.crt, tls.key", refs.Namespace, refs.CertSecret)
		}
	}
	if refs.ProxySecret != "" {
		proxy, err := Proxy(ctx, c, refs.Namespace, refs.ProxySecret)
		if err != nil {
			return cfg, err
		}
		cfg.Proxy = proxy
	}
	return cfg, nil
}

// dockerConfig returns the .dockerconfigjson of a Secret.
func dockerConfig(ctx context.Context, c client.Reader, namespace, name string) ([]byte, error) {
	sec, err := sharedsecrets.Get(ctx, c, namespace, name)
	if err != nil {
		return nil, err
	}
	doc := sec.Data[corev1.DockerConfigJsonKey]
	if len(doc) == 0 {
		return nil, fmt.Errorf("failed to read registry credentials from secret '%s/%s': it has no %s key", namespace, name, corev1.DockerConfigJsonKey)
	}
	return doc, nil
}

// pullSecrets returns the .dockerconfigjson of every image pull secret of a ServiceAccount.
func pullSecrets(ctx context.Context, c client.Reader, namespace, name string) ([][]byte, error) {
	sa := &corev1.ServiceAccount{}
	if err := c.Get(ctx, client.ObjectKey{Namespace: namespace, Name: name}, sa); err != nil {
		if apierrors.IsNotFound(err) {
			return nil, fmt.Errorf("failed to get service account '%s/%s': not found", namespace, name)
		}
		return nil, fmt.Errorf("failed to get service account '%s/%s': %w", namespace, name, err)
	}
	var docs [][]byte
	for _, ref := range sa.ImagePullSecrets {
		doc, err := dockerConfig(ctx, c, namespace, ref.Name)
		if err != nil {
			return nil, err
		}
		docs = append(docs, doc)
	}
	return docs, nil
}

// Proxy reads a proxy URL from a Secret's address, username and password keys.
func Proxy(ctx context.Context, c client.Reader, namespace, name string) (*url.URL, error) {
	sec, err := sharedsecrets.Get(ctx, c, namespace, name)
	if err != nil {
		return nil, err
	}
	if len(sec.Data[sharedsecrets.ProxyAddressKey]) == 0 {
		return nil, fmt.Errorf("failed to read the proxy from secret '%s/%s': it has no address key", namespace, name)
	}
	u, err := sharedsecrets.ProxyURL(sec.Data)
	if err != nil {
		return nil, fmt.Errorf("failed to read the proxy from secret '%s/%s': %w", namespace, name, err)
	}
	return u, nil
}
