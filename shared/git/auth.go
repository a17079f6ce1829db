// Package git is how every Ferry controller reaches a Git remote with go-git, without a git
// binary: the credentials of a GitRepository (HTTPS basic auth or bearer token, CA bundle,
// mutual TLS, SSH identity checked against known_hosts, proxy), the transport options go-git
// takes, the listing and resolution of references with Flux's precedence, and the messages a
// user reads when a remote refuses. source-controller's GitRepository and
// image-automation-controller's ImageUpdateAutomation share it.
package git

import (
	"crypto/hmac"
	"crypto/sha1"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"

	"github.com/go-git/go-git/v5/plumbing/transport"
	"github.com/go-git/go-git/v5/plumbing/transport/http"
	gitssh "github.com/go-git/go-git/v5/plumbing/transport/ssh"
	"github.com/skeema/knownhosts"
	"golang.org/x/crypto/ssh"
)

// Auth holds the credentials and TLS material used to talk to a Git remote.
type Auth struct {
	// Username is the HTTP basic auth user name (or the SSH user).
	Username string
	// Password is the HTTP basic auth password or the SSH key passphrase.
	Password string
	// BearerToken is sent as an HTTP Authorization bearer token.
	BearerToken string
	// CAData is a PEM bundle of extra trusted certificate authorities.
	CAData []byte
	// CertData is the PEM client certificate for mutual TLS.
	CertData []byte
	// KeyData is the PEM client key for mutual TLS.
	KeyData []byte
	// Identity is the PEM private key for SSH.
	Identity []byte
	// KnownHosts is the known_hosts content used to verify SSH host keys.
	KnownHosts []byte
	// Proxy is the HTTP(S) proxy to reach the remote through; empty means none.
	Proxy transport.ProxyOptions
}

// SetProxyFromSecret sets the proxy from a Secret's data using Flux's key names: address
// (required), username and password.
func (a *Auth) SetProxyFromSecret(data map[string][]byte) error {
	p := transport.ProxyOptions{URL: string(data["address"]), Username: string(data["username"]), Password: string(data["password"])}
	if p.URL == "" {
		return errors.New("failed to build proxy: the secret has no 'address'")
	}
	if err := p.Validate(); err != nil {
		return fmt.Errorf("failed to build proxy: invalid address: %w", err)
	}
	a.Proxy = p
	return nil
}

// proxy returns the proxy options of a, which may be nil.
func (a *Auth) proxy() transport.ProxyOptions {
	if a == nil {
		return transport.ProxyOptions{}
	}
	return a.Proxy
}

// AuthFromSecret builds an Auth from a Secret's data using Flux's key names.
func AuthFromSecret(data map[string][]byte) (*Auth, error) {
	a := &Auth{
		Username:    string(data["username"]),
		Password:    string(data["password"]),
		BearerToken: string(data["bearerToken"]),
		CAData:      data["ca.crt"],
		CertData:    data["tls.crt"],
		KeyData:     data["tls.key"],
		Identity:    data["identity"],
		KnownHosts:  data["known_hosts"],
	}
	if len(a.CAData) == 0 {
		a.CAData = data["caFile"]
	}
	if (len(a.CertData) == 0) != (len(a.KeyData) == 0) {
		return nil, errors.New("failed to build auth: tls.crt and tls.key must be set together")
	}
	if a.BearerToken != "" && a.Username != "" {
		return nil, errors.New("failed to build auth: bearerToken and username are mutually exclusive")
	}
	return a, nil
}

func isSSH(url string) bool {
	if strings.HasPrefix(url, "ssh://") {
		return true
	}
	return !strings.Contains(url, "://") && strings.Contains(url, "@")
}

// Method returns the go-git transport auth for url; nil auth means anonymous.
func (a *Auth) Method(url string) (transport.AuthMethod, error) {
	if isSSH(url) {
		return a.sshMethod()
	}
	if a == nil {
		return nil, nil
	}
	switch {
	case a.BearerToken != "":
		return &http.TokenAuth{Token: a.BearerToken}, nil
	case a.Username != "" || a.Password != "":
		return &http.BasicAuth{Username: a.Username, Password: a.Password}, nil
	}
	return nil, nil
}

func (a *Auth) sshMethod() (transport.AuthMethod, error) {
	if a == nil || len(a.KnownHosts) == 0 {
		return nil, errors.New("failed to build ssh auth: known_hosts is required to verify the host key")
	}
	callback, err := hostKeyCallback(a.KnownHosts)
	if err != nil {
		return nil, err
	}
	user := a.Username
	if user == "" {
		user = "git"
	}
	if len(a.Identity) == 0 {
		return nil, errors.New("failed to build ssh auth: identity is required")
	}
	var signer ssh.Signer
	if a.Password != "" {
		signer, err = ssh.ParsePrivateKeyWithPassphrase(a.Identity, []byte(a.Password))
	} else {
		signer, err = ssh.ParsePrivateKey(a.Identity)
	}
	if err != nil {
		// The parse error never contains key material.
		return nil, fmt.Errorf("failed to parse ssh identity: %w", err)
	}
	pk := &gitssh.PublicKeys{User: user, Signer: signer}
	pk.HostKeyCallback = callback
	return pk, nil
}

// hostKeyCallback verifies host keys strictly against known_hosts content, read as OpenSSH
// reads it: host names plain or hashed (`ssh-keygen -H`), "[host]:port" for a port other than
// 22, and a key marked @revoked refused whatever other lines say. Host patterns (*, ?, !)
// and @cert-authority lines are not supported: they match no host.
func hostKeyCallback(knownHosts []byte) (ssh.HostKeyCallback, error) {
	type entry struct {
		hosts []string
		key   string
	}
	var entries []entry
	revoked := map[string]bool{}
	rest := knownHosts
	for len(rest) > 0 {
		marker, hosts, key, _, next, err := ssh.ParseKnownHosts(rest)
		if err != nil {
			if errors.Is(err, io.EOF) {
				break
			}
			return nil, fmt.Errorf("failed to parse known_hosts: %w", err)
		}
		switch marker {
		case "revoked":
			revoked[string(key.Marshal())] = true
		case "":
			entries = append(entries, entry{hosts: hosts, key: string(key.Marshal())})
		}
		rest = next
	}
	if len(entries) == 0 {
		return nil, errors.New("failed to parse known_hosts: no host keys found")
	}
	return func(hostname string, remote net.Addr, key ssh.PublicKey) error {
		presented := string(key.Marshal())
		if revoked[presented] {
			return fmt.Errorf("failed to verify host key of %s: the key is marked @revoked in known_hosts", hostname)
		}
		want := []string{knownhosts.Normalize(hostname)}
		if remote != nil {
			want = append(want, knownhosts.Normalize(remote.String()))
		}
		for _, e := range entries {
			if e.key != presented {
				continue
			}
			for _, h := range e.hosts {
				if knownHostMatches(h, want) {
					return nil
				}
			}
		}
		return fmt.Errorf("failed to verify host key of %s: not in known_hosts", hostname)
	}, nil
}

// knownHostMatches tells whether a host of a known_hosts line, plain or hashed
// ("|1|<base64 salt>|<base64 HMAC-SHA1 of the host>"), names one of the normalized hosts.
func knownHostMatches(pattern string, hosts []string) bool {
	if salt64, sum64, ok := strings.Cut(strings.TrimPrefix(pattern, "|1|"), "|"); ok && strings.HasPrefix(pattern, "|1|") {
		salt, err1 := base64.StdEncoding.DecodeString(salt64)
		sum, err2 := base64.StdEncoding.DecodeString(sum64)
		if err1 != nil || err2 != nil {
			return false
		}
		for _, h := range hosts {
			mac := hmac.New(sha1.New, salt)
			mac.Write([]byte(h))
			if hmac.Equal(mac.Sum(nil), sum) {
				return true
			}
		}
		return false
	}
	for _, h := range hosts {
		if knownhosts.Normalize(pattern) == h {
			return true
		}
	}
	return false
}

// Check reports whether a can authenticate to the remote at url, for instance that an SSH
// remote has the known_hosts to verify its host key, without contacting the remote.
func (a *Auth) Check(url string) error {
	_, err := a.Method(url)
	return err
}

// IsSSH reports whether url is reached over SSH.
func IsSSH(url string) bool { return isSSH(url) }
