// Package secrets reads the Secrets toolkit objects reference and the settings they keep under
// Flux's key names: TLS material (spec.certSecretRef: ca.crt, tls.crt, tls.key) and proxies
// (spec.proxySecretRef: address, username, password). Errors never quote a value.
package secrets

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net/url"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// Keys of the Secrets toolkit objects reference, as Flux names them.
const (
	// CAKey holds a PEM CA bundle the client trusts.
	CAKey = "ca.crt"
	// CertKey and KeyKey hold a PEM client certificate and its key.
	CertKey, KeyKey = "tls.crt", "tls.key"
	// ProxyAddressKey, ProxyUsernameKey and ProxyPasswordKey describe a proxy.
	ProxyAddressKey, ProxyUsernameKey, ProxyPasswordKey = "address", "username", "password"
)

// TLSConfig builds a client TLS configuration from a Secret's data (TLSFromPEM of ca.crt,
// tls.crt and tls.key). It fails when the Secret holds none of them.
func TLSConfig(data map[string][]byte) (*tls.Config, error) {
	cfg, err := TLSFromPEM(data[CAKey], data[CertKey], data[KeyKey])
	if err == nil && cfg == nil {
		return nil, fmt.Errorf("failed to read TLS settings: the secret holds none of '%s', '%s' and '%s'", CAKey, CertKey, KeyKey)
	}
	return cfg, err
}

// TLSFromPEM builds a client TLS configuration from PEM data: a CA bundle trusted besides the
// system's, and/or a client certificate and key (only together). It returns nil when all
// three are empty. Errors name the Secret key at fault, never key material.
func TLSFromPEM(ca, cert, key []byte) (*tls.Config, error) {
	if len(ca) == 0 && len(cert) == 0 && len(key) == 0 {
		return nil, nil
	}
	cfg := &tls.Config{MinVersion: tls.VersionTLS12}
	if len(ca) > 0 {
		pool, err := x509.SystemCertPool()
		if err != nil || pool == nil {
			pool = x509.NewCertPool()
		}
		if !pool.AppendCertsFromPEM(ca) {
			return nil, fmt.Errorf("failed to load the TLS material: %s holds no PEM certificate", CAKey)
		}
		cfg.RootCAs = pool
	}
	if (len(cert) == 0) != (len(key) == 0) {
		return nil, fmt.Errorf("failed to load the TLS material: %s and %s must be set together", CertKey, KeyKey)
	}
	if len(cert) > 0 {
		pair, err := tls.X509KeyPair(cert, key)
		if err != nil {
			// The parse error never quotes key material.
			return nil, fmt.Errorf("failed to load the client certificate: %w", err)
		}
		cfg.Certificates = []tls.Certificate{pair}
	}
	return cfg, nil
}

// ProxyURL reads a proxy from a Secret's data: address (required, an http or https URL) and
// optional username and password, set as the URL's user information.
func ProxyURL(data map[string][]byte) (*url.URL, error) {
	addr := string(data[ProxyAddressKey])
	if addr == "" {
		return nil, errors.New("failed to read proxy settings: the secret has no 'address'")
	}
	u, err := ParseProxy(addr)
	if err != nil {
		return nil, err
	}
	if user := string(data[ProxyUsernameKey]); user != "" {
		u.User = url.UserPassword(user, string(data[ProxyPasswordKey]))
	}
	return u, nil
}

// ParseProxy parses a proxy address, which must be an http or https URL with a host. The
// error does not quote the address, which may hold credentials.
func ParseProxy(addr string) (*url.URL, error) {
	u, err := url.Parse(addr)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, errors.New("failed to read proxy settings: invalid address: expected http(s)://host[:port]")
	}
	return u, nil
}

// Get reads the Secret name in namespace with c, saying plainly when it is missing.
func Get(ctx context.Context, c client.Reader, namespace, name string) (*corev1.Secret, error) {
	secret := &corev1.Secret{}
	if err := c.Get(ctx, client.ObjectKey{Namespace: namespace, Name: name}, secret); err != nil {
		if apierrors.IsNotFound(err) {
			return nil, fmt.Errorf("failed to get secret '%s/%s': not found", namespace, name)
		}
		return nil, fmt.Errorf("failed to get secret '%s/%s': %w", namespace, name, err)
	}
	return secret, nil
}
