package bucket

import (
	"errors"
	"strings"
	"testing"
)

func TestParseEndpoint(t *testing.T) {
	tests := []struct {
		endpoint   string
		insecure   bool
		wantHost   string
		wantSecure bool
		wantErr    string
	}{
		{endpoint: "s3.example.com", wantHost: "s3.example.com", wantSecure: true},
		{endpoint: "127.0.0.1:9000", insecure: true, wantHost: "127.0.0.1:9000"},
		{endpoint: "[::1]:9000", wantHost: "[::1]:9000", wantSecure: true},
		{endpoint: "https://s3.example.com", insecure: true, wantHost: "s3.example.com", wantSecure: true},
		{endpoint: "http://127.0.0.1:9000/", wantHost: "127.0.0.1:9000"},
		{endpoint: "", wantErr: "it is empty"},
		{endpoint: "ftp://s3.example.com", wantErr: `scheme "ftp" is not supported`},
		{endpoint: "https://s3.example.com/bucket", wantErr: "expected only a host"},
		{endpoint: "https://user:pw@s3.example.com", wantErr: "expected only a host"},
		{endpoint: "s3.example.com/path", wantErr: "expected host[:port]"},
		{endpoint: "s3.example.com:", wantErr: "empty port"},
		{endpoint: "::nonsense", wantErr: "expected host[:port]"},
	}
	for _, tt := range tests {
		t.Run(tt.endpoint, func(t *testing.T) {
			host, secure, err := ParseEndpoint(tt.endpoint, tt.insecure)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) || !errors.Is(err, ErrInvalidEndpoint) {
					t.Fatalf("ParseEndpoint(%q) error = %v, want one containing %q", tt.endpoint, err, tt.wantErr)
				}
				return
			}
			if err != nil || host != tt.wantHost || secure != tt.wantSecure {
				t.Fatalf("ParseEndpoint(%q) = %q, %v, %v; want %q, %v", tt.endpoint, host, secure, err, tt.wantHost, tt.wantSecure)
			}
		})
	}
}

func TestCheckProvider(t *testing.T) {
	for _, p := range []string{"", "generic", "aws", "azure", "gcp"} {
		if err := CheckProvider(p); err != nil {
			t.Errorf("CheckProvider(%q) = %v, want nil", p, err)
		}
	}
	for _, p := range []string{"alibaba", "other"} {
		err := CheckProvider(p)
		if !errors.Is(err, ErrUnsupportedProvider) || !strings.Contains(err.Error(), "'"+p+"'") {
			t.Errorf("CheckProvider(%q) = %v, want ErrUnsupportedProvider naming it", p, err)
		}
	}
}

func TestRevision(t *testing.T) {
	a := Index{"b.yaml": "2", "a.yaml": "1"}
	tests := []struct {
		name  string
		other Index
		same  bool
	}{
		{"same objects in another order", Index{"a.yaml": "1", "b.yaml": "2"}, true},
		{"changed etag", Index{"a.yaml": "1", "b.yaml": "3"}, false},
		{"removed object", Index{"a.yaml": "1"}, false},
		{"renamed object", Index{"a.yaml": "1", "c.yaml": "2"}, false},
		{"etag moved to another key", Index{"a.yaml": "2", "b.yaml": "1"}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := a.Revision() == tt.other.Revision(); got != tt.same {
				t.Fatalf("revisions equal = %v, want %v", got, tt.same)
			}
		})
	}
	// The documented format: sha256 of "<key> <etag>\n" lines sorted by key.
	const want = "sha256:701ddc04f025b42deabab0a7fcaf64831ffb3512350818c288fecc01ecf8f14f"
	if got := (Index{"x": "e"}).Revision(); got != want {
		t.Fatalf("Revision() = %q, want %q", got, want)
	}
}
