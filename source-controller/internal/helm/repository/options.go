// Package repository talks to Helm chart repositories over HTTP(S): it builds the client
// settings from the data of the credential Secrets, fetches index.yaml and downloads packaged
// charts, each with a size limit.
package repository

import (
	"crypto/tls"
	"errors"
	"time"

	"github.com/ferry-gitops/ferry/shared/secrets"
)

// Secret data keys read by OptionsFromSecrets.
const (
	UsernameKey = "username"
	PasswordKey = "password"
	CAKey       = secrets.CAKey
	CertKey     = secrets.CertKey
	KeyKey      = secrets.KeyKey
)

// legacy TLS keys of spec.secretRef, still accepted there.
const (
	legacyCAKey   = "caFile"
	legacyCertKey = "certFile"
	legacyKeyKey  = "keyFile"
)

// Options are how to reach one repository.
type Options struct {
	// Username and Password are sent as basic auth when set.
	Username, Password string
	// TLS configures HTTPS (custom CA, client certificate); nil means the system defaults.
	TLS *tls.Config
	// PassCredentials sends the credentials to hosts other than the repository's too, for
	// charts the index lists under another host.
	PassCredentials bool
	// Timeout bounds each request; zero means no bound beyond the context.
	Timeout time.Duration
}

// OptionsFromSecrets builds Options from the data of the Secret named by spec.secretRef
// (username/password, and TLS keys for backward compatibility) and of the one named by
// spec.certSecretRef (ca.crt, tls.crt, tls.key). Either may be nil. Errors never quote a
// secret value.
func OptionsFromSecrets(auth, cert map[string][]byte) (Options, error) {
	var o Options
	if auth != nil {
		o.Username, o.Password = string(auth[UsernameKey]), string(auth[PasswordKey])
		if (o.Username == "") != (o.Password == "") {
			return Options{}, errors.New("invalid auth secret: it must hold both 'username' and 'password', or neither")
		}
	}
	tlsData := cert
	if tlsData == nil && auth != nil {
		tlsData = legacyTLS(auth)
	}
	if tlsData != nil {
		cfg, err := TLSConfig(tlsData)
		if err != nil {
			return Options{}, err
		}
		o.TLS = cfg
	}
	return o, nil
}

// legacyTLS returns the TLS keys of an auth secret (new names first, then the old ones), or
// nil when it holds none.
func legacyTLS(auth map[string][]byte) map[string][]byte {
	out := map[string][]byte{}
	for _, k := range [][2]string{{CAKey, legacyCAKey}, {CertKey, legacyCertKey}, {KeyKey, legacyKeyKey}} {
		if v, ok := auth[k[0]]; ok {
			out[k[0]] = v
		} else if v, ok := auth[k[1]]; ok {
			out[k[0]] = v
		}
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

// TLSConfig builds a client TLS configuration from ca.crt, tls.crt and tls.key (each
// optional, but tls.crt and tls.key only together), as shared/secrets reads them for every
// kind. It returns nil when none is set.
func TLSConfig(data map[string][]byte) (*tls.Config, error) {
	return secrets.TLSFromPEM(data[CAKey], data[CertKey], data[KeyKey])
}
