package git

import (
	gogit "github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/config"
	"github.com/go-git/go-git/v5/plumbing/transport"
)

// Transport is what go-git needs to reach one remote: the auth method for its URL, the TLS
// material and the proxy. Its methods fill in go-git's option structs.
type Transport struct {
	// Auth is the go-git auth method; nil is anonymous.
	Auth transport.AuthMethod
	// CABundle, ClientCert and ClientKey are PEM TLS material; empty when unset.
	CABundle, ClientCert, ClientKey []byte
	// Proxy is the proxy to reach the remote through.
	Proxy transport.ProxyOptions
}

// Transport returns the transport options of a for the remote at url; it fails when a
// cannot authenticate there (an SSH remote without known_hosts or identity).
func (a *Auth) Transport(url string) (*Transport, error) {
	method, err := a.Method(url)
	if err != nil {
		return nil, err
	}
	t := &Transport{Auth: method, Proxy: a.proxy()}
	if a != nil {
		t.CABundle, t.ClientCert, t.ClientKey = a.CAData, a.CertData, a.KeyData
	}
	return t, nil
}

// ListOptions returns the options listing the remote's references, annotated tags peeled.
func (t *Transport) ListOptions() *gogit.ListOptions {
	return &gogit.ListOptions{Auth: t.Auth, PeelingOption: gogit.AppendPeeled, ProxyOptions: t.Proxy,
		CABundle: t.CABundle, ClientCert: t.ClientCert, ClientKey: t.ClientKey}
}

// FetchOptions returns the options fetching refspecs from the remote named remote, without
// tags.
func (t *Transport) FetchOptions(remote string, refspecs ...config.RefSpec) *gogit.FetchOptions {
	return &gogit.FetchOptions{RemoteName: remote, RefSpecs: refspecs, Auth: t.Auth, Tags: gogit.NoTags,
		ProxyOptions: t.Proxy, CABundle: t.CABundle, ClientCert: t.ClientCert, ClientKey: t.ClientKey}
}

// PushOptions returns the options pushing refspecs to the remote named remote.
func (t *Transport) PushOptions(remote string, refspecs ...config.RefSpec) *gogit.PushOptions {
	return &gogit.PushOptions{RemoteName: remote, RefSpecs: refspecs, Auth: t.Auth,
		ProxyOptions: t.Proxy, CABundle: t.CABundle, ClientCert: t.ClientCert, ClientKey: t.ClientKey}
}
