package kubeconfig

import (
	"strings"
	"testing"

	"github.com/ferry-gitops/ferry/shared/testing/pki"
)

// TestParseSettings: each ConfigMap that cannot be used is refused naming its key; valid
// ones give the provider's settings.
func TestParseSettings(t *testing.T) {
	ca, _ := pki.NewServer(t)
	pem := string(ca.CertPEM)
	const arn = "arn:aws:eks:eu-central-1:123456789012:cluster/prod"
	tests := []struct {
		name      string
		data      map[string]string
		defaultSA string
		wantErr   string
		want      settings
	}{
		{name: "no provider", data: map[string]string{"address": "https://a"}, wantErr: "has no key 'provider'"},
		{name: "unknown provider", data: map[string]string{"provider": "oci"}, wantErr: "key 'provider' is 'oci'"},
		{name: "generic without address", data: map[string]string{"provider": "generic"}, wantErr: "has no key 'address'"},
		{name: "cloud without address", data: map[string]string{"provider": "azure", "ca.crt": pem},
			wantErr: "has no key 'address': Ferry does not look the API server up in the azure API"},
		{name: "plain http", data: map[string]string{"provider": "generic", "address": "http://a", "serviceAccountName": "sa"},
			wantErr: "want an https:// URL"},
		{name: "bad CA", data: map[string]string{"provider": "generic", "address": "https://a", "ca.crt": "x", "serviceAccountName": "sa"},
			wantErr: "key 'ca.crt' holds no PEM certificate"},
		{name: "cloud without CA", data: map[string]string{"provider": "gcp", "address": "https://a"}, wantErr: "has no key 'ca.crt'"},
		{name: "generic without service account", data: map[string]string{"provider": "generic", "address": "https://a"},
			wantErr: "no --default-kubeconfig-service-account"},
		{name: "cloud with service account", data: map[string]string{"provider": "gcp", "address": "https://a", "ca.crt": pem, "serviceAccountName": "sa"},
			wantErr: "key 'serviceAccountName' is not supported by Ferry with provider gcp"},
		{name: "cloud with default service account", data: map[string]string{"provider": "azure", "address": "https://a", "ca.crt": pem},
			defaultSA: "tenant", wantErr: "--default-kubeconfig-service-account asks for workload identity per object"},
		{name: "aws without cluster", data: map[string]string{"provider": "aws", "address": "https://a", "ca.crt": pem},
			wantErr: "has no key 'cluster'"},
		{name: "aws with a bad ARN", data: map[string]string{"provider": "aws", "address": "https://a", "ca.crt": pem, "cluster": "prod"},
			wantErr: "not an EKS cluster ARN"},
		{name: "generic, audience defaults to the address", data: map[string]string{"provider": "generic", "address": "https://a", "serviceAccountName": "sa"},
			want: settings{provider: "generic", address: "https://a", namespace: "ns", account: "sa", audiences: []string{"https://a"}}},
		{name: "generic, default service account and audiences", data: map[string]string{"provider": "generic", "address": "https://a", "audiences": "one\n\n two \n"},
			defaultSA: "tenant", want: settings{provider: "generic", address: "https://a", namespace: "ns", account: "tenant", audiences: []string{"one", "two"}}},
		{name: "aws", data: map[string]string{"provider": "aws", "address": "https://a", "ca.crt": pem, "cluster": arn},
			want: settings{provider: "aws", address: "https://a", ca: []byte(pem), cluster: arn, namespace: "ns"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseSettings("ns", "remote", tt.data, tt.defaultSA)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error %v, want one containing %q", err, tt.wantErr)
				}
				if !strings.Contains(err.Error(), "kubeconfig ConfigMap 'ns/remote'") {
					t.Fatalf("error %v does not name the ConfigMap", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got.provider != tt.want.provider || got.address != tt.want.address || string(got.ca) != string(tt.want.ca) ||
				got.cluster != tt.want.cluster || got.namespace != tt.want.namespace || got.account != tt.want.account ||
				strings.Join(got.audiences, ",") != strings.Join(tt.want.audiences, ",") {
				t.Fatalf("settings %+v, want %+v", *got, tt.want)
			}
		})
	}
}
