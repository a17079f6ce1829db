package registry

import (
	"encoding/base64"
	"errors"
	"strings"
	"testing"

	"github.com/ferry-gitops/ferry/source-controller/internal/helm/index"
)

func TestResolveTag(t *testing.T) {
	tags := []string{"latest", "1.0.0", "1.1.0_build.7", "1.2.0-rc.1", "2.0.0"}
	tests := []struct {
		constraint, tag, version string
		err                      error
	}{
		{"", "2.0.0", "2.0.0", nil},
		{"1.x", "1.1.0_build.7", "1.1.0+build.7", nil},
		{"1.1.0+build.7", "1.1.0_build.7", "1.1.0+build.7", nil},
		{">=1.2.0-0 <2.0.0", "1.2.0-rc.1", "1.2.0-rc.1", nil},
		{"3.x", "", "", index.ErrVersionNotFound},
		{"latest!", "", "", index.ErrInvalidConstraint},
	}
	for _, tt := range tests {
		t.Run(tt.constraint, func(t *testing.T) {
			tag, v, err := ResolveTag(tags, tt.constraint)
			if !errors.Is(err, tt.err) || (tt.err == nil && err != nil) || tag != tt.tag || v != tt.version {
				t.Fatalf("ResolveTag = %q, %q, %v; want %q, %q, %v", tag, v, err, tt.tag, tt.version, tt.err)
			}
		})
	}
}

// TestDockerConfigAuth: the credentials of a .dockerconfigjson for the chart's registry host.
func TestDockerConfigAuth(t *testing.T) {
	auth := base64.StdEncoding.EncodeToString([]byte("u:p"))
	tests := []struct{ name, doc, host, user, err string }{
		{"username", `{"auths":{"r.example.com":{"username":"u","password":"p"}}}`, "r.example.com", "u", ""},
		{"auth field and scheme", `{"auths":{"https://r.example.com/v1/":{"auth":"` + auth + `"}}}`, "r.example.com", "u", ""},
		{"other host", `{"auths":{"other":{"username":"u"}}}`, "r.example.com", "", "for r.example.com"},
		{"not json", `nope`, "r.example.com", "", "not valid JSON"},
		{"bad base64", `{"auths":{"r.example.com":{"auth":"%%%"}}}`, "r.example.com", "", "not base64"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, err := authenticator(tt.host, Options{DockerConfigJSON: []byte(tt.doc)})
			if (tt.err == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), tt.err)) {
				t.Fatalf("authenticator = %v, want an error with %q", err, tt.err)
			}
			if err != nil {
				return
			}
			cfg, err := a.Authorization()
			if err != nil || cfg.Username != tt.user {
				t.Fatalf("Authorization = %+v, %v; want user %q", cfg, err, tt.user)
			}
		})
	}
	if _, err := NewClient("https://r.example.com/charts", Options{}); err == nil {
		t.Fatal("an https URL was accepted as an OCI repository")
	}
}
