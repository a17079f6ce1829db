package bucket

import (
	"fmt"

	"github.com/ferry-gitops/ferry/shared/secrets"
)

// Keys of the Secrets a Bucket references, as Flux names them.
const (
	// AccessKeyKey and SecretKeyKey hold the static credentials (spec.secretRef).
	AccessKeyKey, SecretKeyKey = "accesskey", "secretkey"
	// CAKey, CertKey and KeyKey hold the CA and client certificate (spec.certSecretRef).
	CAKey, CertKey, KeyKey = secrets.CAKey, secrets.CertKey, secrets.KeyKey
)

// SetCredentialsFromSecret sets the static credentials from a Secret's data, which must
// hold both accesskey and secretkey.
func (c *Config) SetCredentialsFromSecret(data map[string][]byte) error {
	ak, sk := string(data[AccessKeyKey]), string(data[SecretKeyKey])
	if ak == "" || sk == "" {
		return fmt.Errorf("failed to read credentials: the secret must hold both '%s' and '%s'", AccessKeyKey, SecretKeyKey)
	}
	c.AccessKey, c.SecretKey = ak, sk
	return nil
}

// SetTLSFromSecret sets the TLS configuration from a Secret's data: a CA bundle (ca.crt)
// and/or a client certificate and key (tls.crt and tls.key, together).
func (c *Config) SetTLSFromSecret(data map[string][]byte) error {
	cfg, err := secrets.TLSConfig(data)
	if err != nil {
		return err
	}
	c.TLS = cfg
	return nil
}

// SetProxyFromSecret sets the proxy from a Secret's data: address (required, an http or
// https URL), and optional username and password.
func (c *Config) SetProxyFromSecret(data map[string][]byte) error {
	u, err := secrets.ProxyURL(data)
	if err != nil {
		return err
	}
	c.Proxy = u
	return nil
}
