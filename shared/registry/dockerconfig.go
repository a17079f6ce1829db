package registry

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
)

// dockerConfig is the part of a .dockerconfigjson document that holds credentials.
type dockerConfig struct {
	Auths map[string]dockerAuth `json:"auths"`
}

// dockerAuth is one registry's entry: a user name and password, or both in auth.
type dockerAuth struct {
	Username string `json:"username,omitempty"`
	Password string `json:"password,omitempty"`
	Auth     string `json:"auth,omitempty"`
}

// keychain resolves credentials by registry host.
type keychain map[string]authn.AuthConfig

// Resolve returns the credentials for the resource's registry, or anonymous.
func (k keychain) Resolve(res authn.Resource) (authn.Authenticator, error) {
	if cfg, ok := k[res.RegistryStr()]; ok {
		return authn.FromConfig(cfg), nil
	}
	return authn.Anonymous, nil
}

// newKeychain merges the credentials of docs; for a host named in several, the first wins.
func newKeychain(docs [][]byte) (keychain, error) {
	keys := keychain{}
	for _, doc := range docs {
		k, err := parseDockerConfig(doc)
		if err != nil {
			return nil, err
		}
		for host, a := range k {
			if _, ok := keys[host]; !ok {
				keys[host] = a
			}
		}
	}
	return keys, nil
}

// parseDockerConfig reads the credentials of a .dockerconfigjson document, keyed by host.
// When several keys name one host ("r" and "https://r/v1/"), the one that is the bare host
// wins, then the first in sorted order: the same document always gives the same credentials.
func parseDockerConfig(data []byte) (keychain, error) {
	k := keychain{}
	if len(data) == 0 {
		return k, nil
	}
	var doc dockerConfig
	if err := json.Unmarshal(data, &doc); err != nil {
		return nil, errors.New("failed to parse the registry credentials: .dockerconfigjson is not valid JSON")
	}
	servers := slices.Collect(maps.Keys(doc.Auths))
	slices.SortFunc(servers, func(a, b string) int {
		if bareA, bareB := a == Host(a), b == Host(b); bareA != bareB {
			if bareA {
				return -1
			}
			return 1
		}
		return strings.Compare(a, b)
	})
	for _, server := range servers {
		a := doc.Auths[server]
		user, pass := a.Username, a.Password
		if a.Auth != "" {
			decoded, err := base64.StdEncoding.DecodeString(a.Auth)
			if err != nil {
				return nil, fmt.Errorf("failed to parse the registry credentials of %s: auth is not base64", server)
			}
			var ok bool
			if user, pass, ok = strings.Cut(string(decoded), ":"); !ok {
				return nil, fmt.Errorf("failed to parse the registry credentials of %s: auth is not user:password", server)
			}
		}
		if _, ok := k[Host(server)]; !ok {
			k[Host(server)] = authn.AuthConfig{Username: user, Password: pass}
		}
	}
	return k, nil
}

// Credentials returns the credentials a .dockerconfigjson document holds for the registry
// host (as Host spells it), or an error when it holds none.
func Credentials(data []byte, host string) (authn.AuthConfig, error) {
	k, err := parseDockerConfig(data)
	if err != nil {
		return authn.AuthConfig{}, err
	}
	a, ok := k[Host(host)]
	if !ok {
		return authn.AuthConfig{}, fmt.Errorf("failed to find registry credentials for %s in .dockerconfigjson", host)
	}
	return a, nil
}

// Host turns a dockerconfig server key ("host", "https://host/v1/", "host/path") into the
// registry host its credentials are used for, as Docker does: the scheme and path are
// dropped, and Docker Hub's spellings all mean index.docker.io (go-containerregistry's name
// for it).
func Host(server string) string {
	s := server
	if i := strings.Index(s, "://"); i >= 0 {
		s = s[i+3:]
	}
	s, _, _ = strings.Cut(s, "/")
	switch s {
	case "docker.io", "registry-1.docker.io", "index.docker.io":
		return name.DefaultRegistry
	}
	return s
}
