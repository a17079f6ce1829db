package secrets

import (
	"strings"
	"testing"

	"github.com/ferry-gitops/ferry/shared/testing/pki"
)

// TestTLSConfig: a CA, a client pair, both; refusals name the key and never quote a value.
func TestTLSConfig(t *testing.T) {
	ca, err := pki.NewCA()
	if err != nil {
		t.Fatal(err)
	}
	pair, err := ca.IssueClient("c")
	if err != nil {
		t.Fatal(err)
	}
	good := []map[string][]byte{
		{CAKey: ca.CertPEM},
		{CertKey: pair.CertPEM, KeyKey: pair.KeyPEM},
		{CAKey: ca.CertPEM, CertKey: pair.CertPEM, KeyKey: pair.KeyPEM},
	}
	for _, data := range good {
		if _, err := TLSConfig(data); err != nil {
			t.Errorf("TLSConfig: %v", err)
		}
	}
	bad := map[string]map[string][]byte{
		"none":         {},
		"not PEM":      {CAKey: []byte("s3cret-not-pem")},
		"cert alone":   {CertKey: pair.CertPEM},
		"wrong key":    {CertKey: pair.CertPEM, KeyKey: []byte("s3cret-key")},
		"unrelated ca": {"other": ca.CertPEM},
	}
	for name, data := range bad {
		_, err := TLSConfig(data)
		if err == nil || strings.Contains(err.Error(), "s3cret") {
			t.Errorf("%s: err = %v", name, err)
		}
	}
}

// TestProxyURL: an http(s) address with optional credentials; a bad one is refused without
// being quoted.
func TestProxyURL(t *testing.T) {
	u, err := ProxyURL(map[string][]byte{ProxyAddressKey: []byte("http://proxy:3128"), ProxyUsernameKey: []byte("u"), ProxyPasswordKey: []byte("p")})
	if err != nil || u.Host != "proxy:3128" || u.User.Username() != "u" {
		t.Fatalf("ProxyURL = %v, %v", u, err)
	}
	for _, addr := range []string{"", "socks5://u:s3cret@proxy", "proxy:3128"} {
		if _, err := ProxyURL(map[string][]byte{ProxyAddressKey: []byte(addr)}); err == nil || strings.Contains(err.Error(), "s3cret") {
			t.Errorf("%q: err = %v", addr, err)
		}
	}
}
