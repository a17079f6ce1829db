package oci

import (
	"strings"
	"testing"
)

// FuzzParseDockerConfig feeds untrusted Secret data to the credentials parser: it must never
// panic, and every credential is keyed by a bare host.
func FuzzParseDockerConfig(f *testing.F) {
	f.Add([]byte(`{"auths":{"r.example:5000":{"username":"u","password":"p"}}}`))
	f.Add([]byte(`{"auths":{"https://r.example/v1/":{"auth":"dTpzZWNyZXQ="}}}`))
	f.Add([]byte(`{"auths":{"r":{"auth":"!!"}}}`))
	f.Add([]byte(`{"auths":null}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		k, err := parseDockerConfig(data)
		if err != nil {
			return
		}
		for host := range k {
			if strings.Contains(host, "/") {
				t.Fatalf("host %q holds a path", host)
			}
		}
	})
}

// FuzzParseURL parses untrusted spec.url values: no panic, and success only for oci:// URLs.
func FuzzParseURL(f *testing.F) {
	for _, s := range []string{"oci://ghcr.io/org/app", "oci://127.0.0.1:5000/a/b", "https://x/y", "oci://", "oci://Bad Host/x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		if _, err := ParseURL(raw, false); err == nil && !strings.HasPrefix(raw, "oci://") {
			t.Fatalf("accepted %q", raw)
		}
	})
}
