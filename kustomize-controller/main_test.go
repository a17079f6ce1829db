package main

import (
	"strings"
	"testing"

	"github.com/spf13/pflag"

	"github.com/ferry-gitops/ferry/shared/runtime/manager"
)

func TestFlags(t *testing.T) {
	tests := []struct {
		args          []string
		strict        bool
		noRemoteBases bool
	}{
		{nil, false, false},
		{[]string{"--no-remote-bases", "--feature-gates=StrictPostBuildSubstitutions=true"}, true, true},
		{[]string{"--feature-gates=CacheSecretsAndConfigMaps=true,StrictPostBuildSubstitutions=false"}, false, false},
		{[]string{"--feature-gates=DisableStatusPollerCache=true, StrictPostBuildSubstitutions=true"}, true, false},
	}
	for _, tt := range tests {
		var f flags
		o, fs, err := manager.FlagSet(f.program(), pflag.ContinueOnError)
		if err != nil {
			t.Fatal(err)
		}
		if err := fs.Parse(tt.args); err != nil {
			t.Fatalf("%v: %v", tt.args, err)
		}
		if strict := o.FeatureGate(strictGate); strict != tt.strict || f.noRemoteBases != tt.noRemoteBases {
			t.Errorf("%v: strict %v no-remote-bases %v, want %v %v", tt.args, strict, f.noRemoteBases, tt.strict, tt.noRemoteBases)
		}
		if o.KubeAPIQPS != 500 || o.KubeAPIBurst != 1000 {
			t.Errorf("%v: qps %v burst %d, want the controller's defaults 500 and 1000", tt.args, o.KubeAPIQPS, o.KubeAPIBurst)
		}
	}
}

func TestSOPSAgeSecretFlag(t *testing.T) {
	var f flags
	_, fs, err := manager.FlagSet(f.program(), pflag.ContinueOnError)
	if err != nil {
		t.Fatal(err)
	}
	if err := fs.Parse([]string{"--sops-age-secret=sops-age"}); err != nil {
		t.Fatal(err)
	}
	t.Setenv(manager.RuntimeNamespaceEnv, "")
	if _, err := f.ageSecret(); err == nil || !strings.Contains(err.Error(), manager.RuntimeNamespaceEnv) {
		t.Fatalf("without %s: %v", manager.RuntimeNamespaceEnv, err)
	}
	t.Setenv(manager.RuntimeNamespaceEnv, "flux-system")
	got, err := f.ageSecret()
	if err != nil || got.String() != "flux-system/sops-age" {
		t.Fatalf("got %v, %v", got, err)
	}
}

// TestDecryptionIdentityFlags: the controller honours --default-decryption-service-account
// and acts on the feature gate ObjectLevelWorkloadIdentity.
func TestDecryptionIdentityFlags(t *testing.T) {
	var f flags
	o, fs, err := manager.FlagSet(f.program(), pflag.ContinueOnError)
	if err != nil {
		t.Fatal(err)
	}
	args := []string{"--default-decryption-service-account=decrypter", "--feature-gates=ObjectLevelWorkloadIdentity=true"}
	if err := fs.Parse(args); err != nil {
		t.Fatal(err)
	}
	if o.DefaultDecryptionServiceAccount != "decrypter" || !o.FeatureGate("ObjectLevelWorkloadIdentity") {
		t.Fatalf("default decryption service account %q, gate %v", o.DefaultDecryptionServiceAccount, o.FeatureGate("ObjectLevelWorkloadIdentity"))
	}
}
