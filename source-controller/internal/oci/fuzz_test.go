package oci

import (
	"strings"
	"testing"
)

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
