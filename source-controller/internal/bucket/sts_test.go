package bucket

import (
	"strings"
	"testing"
)

func TestCheckSTS(t *testing.T) {
	tests := []struct {
		name, provider, sts           string
		stsSecret, stsCert, secretRef bool
		wantErr                       string
	}{
		{name: "aws with aws", provider: ProviderAWS, sts: STSProviderAWS},
		{name: "generic with ldap", provider: ProviderGeneric, sts: STSProviderLDAP, stsSecret: true, stsCert: true},
		{name: "default provider with ldap", sts: STSProviderLDAP},
		{name: "aws with ldap", provider: ProviderAWS, sts: STSProviderLDAP, wantErr: "'aws' is the only supported STS provider for the 'aws' Bucket provider"},
		{name: "generic with aws", provider: ProviderGeneric, sts: STSProviderAWS, wantErr: "'ldap' is the only supported STS provider for the 'generic' Bucket provider"},
		{name: "azure", provider: ProviderAzure, sts: STSProviderAWS, wantErr: "only supported for the 'aws' and 'generic' Bucket providers"},
		{name: "gcp", provider: ProviderGCP, sts: STSProviderLDAP, wantErr: "only supported for the 'aws' and 'generic' Bucket providers"},
		{name: "aws with a secret", provider: ProviderAWS, sts: STSProviderAWS, stsSecret: true, wantErr: "spec.sts.secretRef is not required for the 'aws' STS provider"},
		{name: "aws with a TLS secret", provider: ProviderAWS, sts: STSProviderAWS, stsCert: true, wantErr: "spec.sts.certSecretRef is not required for the 'aws' STS provider"},
		{name: "static keys", provider: ProviderGeneric, sts: STSProviderLDAP, secretRef: true, wantErr: "spec.secretRef cannot be used with spec.sts"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := CheckSTS(tt.provider, tt.sts, tt.stsSecret, tt.stsCert, tt.secretRef)
			switch {
			case tt.wantErr == "" && err != nil:
				t.Fatalf("unexpected error: %v", err)
			case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
				t.Fatalf("error %v, want one containing %q", err, tt.wantErr)
			}
		})
	}
}

func TestSetSTSCredentialsFromSecret(t *testing.T) {
	var s STSConfig
	if err := s.SetSTSCredentialsFromSecret(map[string][]byte{"username": []byte("alice")}); err == nil ||
		!strings.Contains(err.Error(), "must hold both 'username' and 'password'") || strings.Contains(err.Error(), "alice") {
		t.Fatalf("unexpected error: %v", err)
	}
	if err := s.SetSTSCredentialsFromSecret(map[string][]byte{"username": []byte("alice"), "password": []byte("pw")}); err != nil {
		t.Fatal(err)
	}
	if s.Username != "alice" || s.Password != "pw" {
		t.Fatalf("got %q/%q", s.Username, s.Password)
	}
}
