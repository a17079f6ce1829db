package bucket

import (
	"path/filepath"
	"strings"
	"testing"
)

// FuzzParseEndpoint checks that an accepted endpoint is a bare host[:port].
func FuzzParseEndpoint(f *testing.F) {
	for _, s := range []string{"s3.example.com", "127.0.0.1:9000", "https://h", "http://h:1/", "[::1]:9000", "h/p", "ftp://x", "a:b:c", ""} {
		f.Add(s, false)
	}
	f.Fuzz(func(t *testing.T, endpoint string, insecure bool) {
		host, _, err := ParseEndpoint(endpoint, insecure)
		if err != nil {
			return
		}
		if host == "" || strings.ContainsAny(host, "/?#@ ") {
			t.Fatalf("ParseEndpoint(%q) accepted host %q", endpoint, host)
		}
	})
}

// FuzzSafeKey checks that every key accepted as a file path stays below the directory.
func FuzzSafeKey(f *testing.F) {
	for _, s := range []string{"a.yaml", "dir/b.yaml", "../x", "/abs", "a//b", "a/./b", "a\\b", "a\nb", ".", "..", "dir/"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, key string) {
		if !safeKey(key) {
			return
		}
		if !filepath.IsLocal(filepath.FromSlash(key)) || filepath.Clean(filepath.FromSlash(key)) != filepath.FromSlash(key) {
			t.Fatalf("safeKey accepted %q, which is not a clean local path", key)
		}
	})
}
