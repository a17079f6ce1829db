package ocirepository

import (
	"context"
	"errors"
	"fmt"
	"net/url"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/types"

	sourcev1 "github.com/ferry-gitops/ferry/shared/api/source/v1"
	sourcecontroller "github.com/ferry-gitops/ferry/source-controller/internal/controller"
	"github.com/ferry-gitops/ferry/source-controller/internal/oci"
)

// clientConfig gathers the registry credentials (spec.secretRef and the image pull secrets
// of spec.serviceAccountName), TLS material (spec.certSecretRef) and proxy
// (spec.proxySecretRef) of obj.
func (r *Reconciler) clientConfig(ctx context.Context, obj *sourcev1.OCIRepository) (oci.Config, error) {
	cfg := oci.Config{Insecure: obj.Spec.Insecure, UserAgent: r.userAgent}
	if ref := obj.Spec.SecretRef; ref != nil {
		doc, err := r.dockerConfig(ctx, obj.Namespace, ref.Name)
		if err != nil {
			return cfg, err
		}
		cfg.DockerConfigs = append(cfg.DockerConfigs, doc)
	}
	if name := obj.Spec.ServiceAccountName; name != "" {
		docs, err := r.pullSecrets(ctx, obj.Namespace, name)
		if err != nil {
			return cfg, err
		}
		cfg.DockerConfigs = append(cfg.DockerConfigs, docs...)
	}
	if ref := obj.Spec.CertSecretRef; ref != nil {
		sec, err := sourcecontroller.GetSecret(ctx, r.secrets, obj.Namespace, ref.Name)
		if err != nil {
			return cfg, err
		}
		cfg.CAData, cfg.CertData, cfg.KeyData = sec.Data["ca.crt"], sec.Data[corev1.TLSCertKey], sec.Data[corev1.TLSPrivateKeyKey]
		if len(cfg.CAData)+len(cfg.CertData)+len(cfg.KeyData) == 0 {
			return cfg, fmt.Errorf("failed to read TLS material from secret '%s/%s': it has none of ca.crt, tls.crt, tls.key", obj.Namespace, ref.Name)
		}
	}
	if ref := obj.Spec.ProxySecretRef; ref != nil {
		proxy, err := r.proxy(ctx, obj.Namespace, ref.Name)
		if err != nil {
			return cfg, err
		}
		cfg.Proxy = proxy
	}
	return cfg, nil
}

// dockerConfig returns the .dockerconfigjson of a Secret.
func (r *Reconciler) dockerConfig(ctx context.Context, namespace, name string) ([]byte, error) {
	sec, err := sourcecontroller.GetSecret(ctx, r.secrets, namespace, name)
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
func (r *Reconciler) pullSecrets(ctx context.Context, namespace, name string) ([][]byte, error) {
	sa := &corev1.ServiceAccount{}
	if err := r.secrets.Get(ctx, types.NamespacedName{Namespace: namespace, Name: name}, sa); err != nil {
		return nil, fmt.Errorf("failed to get service account '%s/%s': %w", namespace, name, err)
	}
	var docs [][]byte
	for _, ref := range sa.ImagePullSecrets {
		doc, err := r.dockerConfig(ctx, namespace, ref.Name)
		if err != nil {
			return nil, err
		}
		docs = append(docs, doc)
	}
	return docs, nil
}

// proxy reads a proxy URL from a Secret's address, username and password keys.
func (r *Reconciler) proxy(ctx context.Context, namespace, name string) (*url.URL, error) {
	sec, err := sourcecontroller.GetSecret(ctx, r.secrets, namespace, name)
	if err != nil {
		return nil, err
	}
	address := string(sec.Data["address"])
	if address == "" {
		return nil, fmt.Errorf("failed to read the proxy from secret '%s/%s': it has no address key", namespace, name)
	}
	u, err := url.Parse(address)
	if err != nil || u.Host == "" {
		return nil, fmt.Errorf("failed to read the proxy from secret '%s/%s': %w", namespace, name,
			errors.New("address is not a URL with a host"))
	}
	user, pass := string(sec.Data["username"]), string(sec.Data["password"])
	if user != "" {
		u.User = url.UserPassword(user, pass)
	}
	return u, nil
}
