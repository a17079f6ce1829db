package bucket

import (
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
