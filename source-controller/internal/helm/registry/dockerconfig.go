package registry

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/google/go-containerregistry/pkg/authn"
)

// dockerConfigAuth returns the credentials a .dockerconfigjson document holds for host.
func dockerConfigAuth(data []byte, host string) (authn.AuthConfig, error) {
	var doc struct {
		Auths map[string]struct {
			Username string `json:"username"`
			Password string `json:"password"`
			Auth     string `json:"auth"`
		} `json:"auths"`
	}
	if err := json.Unmarshal(data, &doc); err != nil {
		return authn.AuthConfig{}, errors.New("invalid .dockerconfigjson: it is not a JSON docker config")
	}
	for key, e := range doc.Auths {
		if registryHost(key) != host {
			continue
		}
		if e.Username == "" && e.Auth != "" {
			raw, err := base64.StdEncoding.DecodeString(e.Auth)
			if err != nil {
				return authn.AuthConfig{}, fmt.Errorf("invalid .dockerconfigjson: the auth of %s is not base64", host)
			}
			e.Username, e.Password, _ = strings.Cut(string(raw), ":")
		}
		return authn.AuthConfig{Username: e.Username, Password: e.Password}, nil
	}
	return authn.AuthConfig{}, fmt.Errorf("invalid .dockerconfigjson: no credentials for %s", host)
}

// registryHost strips a scheme and path from a docker config key.
func registryHost(key string) string {
	if i := strings.Index(key, "://"); i >= 0 {
		key = key[i+3:]
	}
	h, _, _ := strings.Cut(key, "/")
	return h
}
