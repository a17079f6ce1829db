// Package secrets reads the settings toolkit objects keep in Secrets under Flux's key names:
// TLS material (spec.certSecretRef: ca.crt, tls.crt, tls.key) and proxies
// (spec.proxySecretRef: address, username, password). Errors never quote a value.
package secrets

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net/url"
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

// TLSConfig builds a client TLS configuration from a Secret's data: a CA bundle (ca.crt,
// added to the system pool) and/or a client certificate and key (tls.crt and tls.key,
// together). It fails when the Secret holds none of them.
func TLSConfig(data map[string][]byte) (*tls.Config, error) {
	ca, cert, key := data[CAKey], data[CertKey], data[KeyKey]
	if len(ca) == 0 && len(cert) == 0 && len(key) == 0 {
		return nil, fmt.Errorf("failed to read TLS settings: the secret holds none of '%s', '%s' and '%s'", CAKey, CertKey, KeyKey)
	}
	cfg := &tls.Config{MinVersion: tls.VersionTLS12}
	if len(ca) > 0 {
		pool, err := x509.SystemCertPool()
		if err != nil {
			pool = x509.NewCertPool()
		}
		if !pool.AppendCertsFromPEM(ca) {
			return nil, fmt.Errorf("failed to read TLS settings: '%s' holds no PEM certificate", CAKey)
		}
		cfg.RootCAs = pool
	}
	if (len(cert) == 0) != (len(key) == 0) {
		return nil, fmt.Errorf("failed to read TLS settings: '%s' and '%s' must be set together", CertKey, KeyKey)
	}
	if len(cert) > 0 {
		pair, err := tls.X509KeyPair(cert, key)
		if err != nil {
			// The parse error never quotes key material.
			return nil, fmt.Errorf("failed to read TLS settings: invalid client certificate: %w", err)
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
