package cloud

import (
	"strings"
	"testing"
)

func TestCheckRegistrySpec(t *testing.T) {
	tests := []struct {
		name, provider, host, sa string
		secret, gate             bool
		want                     string
	}{
		{name: "generic ignores the rest", provider: Generic, host: "127.0.0.1:5000", sa: "sa", secret: true},
		{name: "empty is generic", host: "ghcr.io"},
		{name: "ecr", provider: AWS, host: "012345678901.dkr.ecr.eu-west-1.amazonaws.com"},
		{name: "ecr fips", provider: AWS, host: "012345678901.dkr.ecr-fips.us-gov-west-1.amazonaws.com"},
		{name: "ecr china", provider: AWS, host: "012345678901.dkr.ecr.cn-north-1.amazonaws.com.cn"},
		{name: "not ecr", provider: AWS, host: "ghcr.io", want: "provider aws logs in to Amazon ECR registries"},
		{name: "ecr lookalike", provider: AWS, host: "012345678901.dkr.ecr.eu-west-1.amazonaws.com.evil.io", want: "not '012345678901"},
		{name: "acr", provider: Azure, host: "ferry.azurecr.io"},
		{name: "acr china", provider: Azure, host: "ferry.azurecr.cn"},
		{name: "bare acr domain", provider: Azure, host: ".azurecr.io", want: "provider azure logs in to Azure Container Registry"},
		{name: "not acr", provider: Azure, host: "azurecr.io.evil.io", want: "provider azure"},
		{name: "gar", provider: GCP, host: "europe-west1-docker.pkg.dev"},
		{name: "gcr", provider: GCP, host: "gcr.io"},
		{name: "regional gcr", provider: GCP, host: "eu.gcr.io"},
		{name: "not google", provider: GCP, host: "docker.io", want: "provider gcp logs in to Artifact Registry"},
		{name: "service account, gate off", provider: AWS, host: "012345678901.dkr.ecr.eu-west-1.amazonaws.com", sa: "puller",
			want: "start the controller with --feature-gates=ObjectLevelWorkloadIdentity=true"},
		{name: "service account, gate on", provider: AWS, host: "012345678901.dkr.ecr.eu-west-1.amazonaws.com", sa: "puller", gate: true},
		{name: "azure service account", provider: Azure, host: "ferry.azurecr.io", sa: "puller", gate: true},
		{name: "gcp service account", provider: GCP, host: "gcr.io", sa: "puller", gate: true},
		{name: "gcp service account, gate off", provider: GCP, host: "gcr.io", sa: "puller",
			want: "spec.serviceAccountName with spec.provider gcp asks for object-level workload identity, which is off"},
		{name: "service account and secret", provider: Azure, host: "ferry.azurecr.io", sa: "puller", secret: true, gate: true,
			want: "spec.secretRef cannot be used with spec.provider azure"},
		{name: "secret", provider: GCP, host: "gcr.io", secret: true, want: "spec.secretRef cannot be used with spec.provider gcp"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := CheckRegistrySpec(tt.provider, tt.host, tt.sa, tt.secret, tt.gate)
			switch {
			case tt.want == "" && err != nil:
				t.Fatalf("unexpected error: %v", err)
			case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
				t.Fatalf("error %v, want one containing %q", err, tt.want)
			}
		})
	}
}

func TestECRRegion(t *testing.T) {
	got, err := ecrRegion("012345678901.dkr.ecr.ap-southeast-2.amazonaws.com:443")
	if err != nil || got != "ap-southeast-2" {
		t.Fatalf("got %q, %v", got, err)
	}
}
