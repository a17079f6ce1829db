package bucket

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net/url"
)

// Keys of the Secrets a Bucket references, as Flux names them.
const (
	// AccessKeyKey and SecretKeyKey hold the static credentials (spec.secretRef).
	AccessKeyKey, SecretKeyKey = "accesskey", "secretkey"
	// CAKey, CertKey and KeyKey hold the CA and client certificate (spec.certSecretRef).
	CAKey, CertKey, KeyKey = "ca.crt", "tls.crt", "tls.key"
	// ProxyAddressKey, ProxyUsernameKey and ProxyPasswordKey describe the proxy
	// (spec.proxySecretRef).
	ProxyAddressKey, ProxyUsernameKey, ProxyPasswordKey = "address", "username", "password"
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
	ca, cert, key := data[CAKey], data[CertKey], data[KeyKey]
	if len(ca) == 0 && len(cert) == 0 && len(key) == 0 {
		return fmt.Errorf("failed to read TLS settings: the secret holds none of '%s', '%s' and '%s'", CAKey, CertKey, KeyKey)
	}
	cfg := &tls.Config{MinVersion: tls.VersionTLS12}
	if len(ca) > 0 {
		pool, err := x509.SystemCertPool()
		if err != nil {
			pool = x509.NewCertPool()
		}
		if !pool.AppendCertsFromPEM(ca) {
			return fmt.Errorf("failed to read TLS settings: '%s' holds no PEM certificate", CAKey)
		}
		cfg.RootCAs = pool
	}
	if (len(cert) == 0) != (len(key) == 0) {
		return fmt.Errorf("failed to read TLS settings: '%s' and '%s' must be set together", CertKey, KeyKey)
	}
	if len(cert) > 0 {
		pair, err := tls.X509KeyPair(cert, key)
		if err != nil {
			// The parse error never quotes key material.
			return fmt.Errorf("failed to read TLS settings: invalid client certificate: %w", err)
		}
		cfg.Certificates = []tls.Certificate{pair}
	}
	c.TLS = cfg
	return nil
}

// SetProxyFromSecret sets the proxy from a Secret's data: address (required, an http or
// https URL), and optional username and password.
func (c *Config) SetProxyFromSecret(data map[string][]byte) error {
	addr := string(data[ProxyAddressKey])
	if addr == "" {
		return errors.New("failed to read proxy settings: the secret has no 'address'")
	}
	u, err := url.Parse(addr)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return errors.New("failed to read proxy settings: invalid address: expected http(s)://host[:port]")
	}
	if user := string(data[ProxyUsernameKey]); user != "" {
		u.User = url.UserPassword(user, string(data[ProxyPasswordKey]))
	}
	c.Proxy = u
	return nil
}
