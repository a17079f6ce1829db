package bucket

import (
	"reflect"
	"strings"
	"testing"
)

func TestSetCredentialsFromSecret(t *testing.T) {
	tests := []struct {
		name    string
		data    map[string][]byte
		wantErr string
	}{
		{"both keys", map[string][]byte{"accesskey": []byte("a"), "secretkey": []byte("s")}, ""},
		{"no secret key", map[string][]byte{"accesskey": []byte("a")}, "must hold both 'accesskey' and 'secretkey'"},
		{"empty", nil, "must hold both"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var c Config
			err := c.SetCredentialsFromSecret(tt.data)
			checkErr(t, err, tt.wantErr)
			if err == nil && (c.AccessKey != "a" || c.SecretKey != "s") {
				t.Fatalf("credentials = %q/%q, want a/s", c.AccessKey, c.SecretKey)
			}
		})
	}
}

func TestSetCloudCredentialsFromSecret(t *testing.T) {
	b := func(s string) []byte { return []byte(s) }
	tests := []struct {
		name     string
		provider string
		data     map[string][]byte
		want     Config
		wantErr  string
	}{
		{"azure shared key", ProviderAzure, map[string][]byte{"accountKey": b("a2V5")}, Config{Azure: AzureAuth{AccountKey: "a2V5"}}, ""},
		{"azure SAS", ProviderAzure, map[string][]byte{"sasKey": b("?sv=1&sig=x")}, Config{Azure: AzureAuth{SASToken: "?sv=1&sig=x"}}, ""},
		{"azure service principal", ProviderAzure, map[string][]byte{"tenantId": b("t"), "clientId": b("c"), "clientSecret": b("s"), "authorityHost": b("https://login.example/")},
			Config{Azure: AzureAuth{TenantID: "t", ClientID: "c", ClientSecret: "s", AuthorityHost: "https://login.example/"}}, ""},
		{"azure certificate chain", ProviderAzure, map[string][]byte{"tenantId": b("t"), "clientId": b("c"), "clientCertificate": b("pem"), "clientCertificateSendChain": b("true")},
			Config{Azure: AzureAuth{TenantID: "t", ClientID: "c", ClientCertificate: b("pem"), ClientCertificateSendChain: true}}, ""},
		{"azure managed identity", ProviderAzure, map[string][]byte{"clientId": b("c")}, Config{Azure: AzureAuth{ClientID: "c"}}, ""},
		{"azure secret without tenant", ProviderAzure, map[string][]byte{"clientId": b("c"), "clientSecret": b("s")}, Config{}, "a service principal needs 'tenantId'"},
		{"azure bad send chain", ProviderAzure, map[string][]byte{"accountKey": b("k"), "clientCertificateSendChain": b("yes")}, Config{}, "'clientCertificateSendChain' must be"},
		{"azure S3 keys", ProviderAzure, map[string][]byte{"accesskey": b("a"), "secretkey": b("s")}, Config{}, "the secret must hold 'tenantId'"},
		{"gcp key", ProviderGCP, map[string][]byte{"serviceaccount": b("{}")}, Config{GoogleServiceAccount: b("{}")}, ""},
		{"gcp without key", ProviderGCP, map[string][]byte{"accesskey": b("a")}, Config{}, "must hold 'serviceaccount'"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := Config{Provider: tt.provider}
			err := c.SetCredentialsFromSecret(tt.data)
			checkErr(t, err, tt.wantErr)
			tt.want.Provider = tt.provider
			if err == nil && !reflect.DeepEqual(c, tt.want) {
				t.Fatalf("config = %+v, want %+v", c, tt.want)
			}
		})
	}
	var c Config
	c.Azure = AzureAuth{TenantID: "t", ClientID: "c", ClientCertificate: []byte("not a certificate")}
	if _, err := c.Azure.tokenCredential(nil); err == nil || !strings.Contains(err.Error(), "failed to read the client certificate") {
		t.Fatalf("tokenCredential = %v, want a certificate error", err)
	}
}

func TestSetTLSFromSecret(t *testing.T) {
	tests := []struct {
		name    string
		data    map[string][]byte
		wantErr string
	}{
		{"nothing", map[string][]byte{"other": []byte("x")}, "holds none of 'ca.crt', 'tls.crt' and 'tls.key'"},
		{"CA is not PEM", map[string][]byte{"ca.crt": []byte("not pem")}, "ca.crt holds no PEM certificate"},
		{"certificate without key", map[string][]byte{"tls.crt": []byte("x")}, "tls.crt and tls.key must be set together"},
		{"bad pair", map[string][]byte{"tls.crt": []byte("x"), "tls.key": []byte("SECRET")}, "failed to load the client certificate"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var c Config
			err := c.SetTLSFromSecret(tt.data)
			checkErr(t, err, tt.wantErr)
			if err != nil && strings.Contains(err.Error(), "SECRET") {
				t.Fatalf("error %q quotes the key", err)
			}
		})
	}
}

func TestSetProxyFromSecret(t *testing.T) {
	tests := []struct {
		name    string
		data    map[string][]byte
		wantURL string
		wantErr string
	}{
		{name: "address only", data: map[string][]byte{"address": []byte("http://proxy:3128")}, wantURL: "http://proxy:3128"},
		{name: "with user", data: map[string][]byte{"address": []byte("https://proxy"), "username": []byte("u"), "password": []byte("p")}, wantURL: "https://u:p@proxy"},
		{name: "no address", data: map[string][]byte{"username": []byte("u")}, wantErr: "has no 'address'"},
		{name: "bad scheme", data: map[string][]byte{"address": []byte("socks5://u:SECRET@proxy")}, wantErr: "invalid address"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var c Config
			err := c.SetProxyFromSecret(tt.data)
			checkErr(t, err, tt.wantErr)
			if err != nil && strings.Contains(err.Error(), "SECRET") {
				t.Fatalf("error %q quotes the password", err)
			}
			if err == nil && c.Proxy.String() != tt.wantURL {
				t.Fatalf("proxy = %s, want %s", c.Proxy, tt.wantURL)
			}
		})
	}
}

func checkErr(t *testing.T, err error, want string) {
	t.Helper()
	if want == "" {
		if err != nil {
			t.Fatalf("unexpected error: %v", err)
		}
		return
	}
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Fatalf("error = %v, want one containing %q", err, want)
	}
}
