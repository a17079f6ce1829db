package artifact

import (
	"errors"
	"strings"
	"testing"
)

const (
	emptyDigest = "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
	helloDigest = "sha256:2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824"
)

func TestParseDigest(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		wantMsg string
	}{
		{"valid", helloDigest, ""},
		{"empty", "", "expected <algorithm>:<hex>"},
		{"no algorithm", strings.TrimPrefix(helloDigest, "sha256:"), "expected <algorithm>:<hex>"},
		{"empty algorithm", ":abc", "expected <algorithm>:<hex>"},
		{"unknown algorithm", "sha512:" + strings.Repeat("a", 128), `unsupported digest algorithm "sha512"`},
		{"md5", "md5:d41d8cd98f00b204e9800998ecf8427e", `unsupported digest algorithm "md5"`},
		{"short hex", "sha256:abc", "expected 64 lowercase hexadecimal characters"},
		{"upper-case algorithm", strings.ToUpper(helloDigest[:7]) + strings.ToUpper(helloDigest[7:]), "unsupported digest algorithm"},
		{"upper-case hex digits", "sha256:" + strings.ToUpper(helloDigest[7:]), "lowercase hexadecimal"},
		{"non-hex", "sha256:" + strings.Repeat("g", 64), "lowercase hexadecimal"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, err := ParseDigest(tt.in)
			if tt.wantMsg == "" {
				if err != nil {
					t.Fatalf("ParseDigest() error = %v", err)
				}
				if d.String() != tt.in || d.Algorithm != AlgorithmSHA256 {
					t.Errorf("ParseDigest() = %+v, want %s", d, tt.in)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantMsg) {
				t.Errorf("ParseDigest() error = %v, want it to contain %q", err, tt.wantMsg)
			}
		})
	}
}

func TestDigestReaderAndVerify(t *testing.T) {
	tests := []struct {
		content string
		want    string
	}{
		{"", emptyDigest},
		{"hello", helloDigest},
	}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			got, n, err := DigestReader(strings.NewReader(tt.content))
			if err != nil || got != tt.want || n != int64(len(tt.content)) {
				t.Fatalf("DigestReader() = %s, %d, %v; want %s, %d", got, n, err, tt.want, len(tt.content))
			}
			d, err := ParseDigest(tt.want)
			if err != nil {
				t.Fatal(err)
			}
			if err := d.Verify(strings.NewReader(tt.content)); err != nil {
				t.Errorf("Verify() error = %v", err)
			}
			err = d.Verify(strings.NewReader(tt.content + "x"))
			if !errors.Is(err, ErrDigestMismatch) || !strings.Contains(err.Error(), "expected "+tt.want+", got sha256:") {
				t.Errorf("Verify() of other content error = %v, want a mismatch naming both digests", err)
			}
		})
	}
}
