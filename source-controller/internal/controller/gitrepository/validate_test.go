package gitrepository

import (
	"strings"
	"testing"
)

func TestValidateURL(t *testing.T) {
	tests := []struct {
		url, want string
	}{
		{url: "https://github.com/org/repo.git"},
		{url: "http://127.0.0.1:8080/repo.git"},
		{url: "ssh://git@github.com/org/repo.git"},
		{url: "ftp://host/repo.git", want: "unsupported scheme 'ftp'"},
		{url: "git@github.com:org/repo.git", want: "invalid url"},
		{url: "file:///tmp/repo", want: "unsupported scheme 'file'"},
		{url: "https://", want: "no host"},
		{url: "https://exa mple.com", want: "invalid url"},
	}
	for _, tt := range tests {
		t.Run(tt.url, func(t *testing.T) {
			err := validateURL(tt.url)
			if tt.want == "" {
				if err != nil {
					t.Fatalf("validateURL(%q) = %v", tt.url, err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("validateURL(%q) = %v, want %q", tt.url, err, tt.want)
			}
		})
	}
}
