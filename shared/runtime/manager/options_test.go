package manager

import (
	"strings"
	"testing"
	"time"

	"github.com/go-logr/logr/funcr"
	"github.com/spf13/pflag"
)

// TestFluxFlagsAccepted parses the arguments Flux's own Deployments pass (and patches users
// commonly add): shared flags keep their meaning, flags with no meaning in Ferry parse and
// are logged as ignored, never fatal.
func TestFluxFlagsAccepted(t *testing.T) {
	var o Options
	fs := pflag.NewFlagSet("kustomize-controller", pflag.ContinueOnError)
	o.BindFlags(fs, 4)
	o.AcceptIgnoredFlags(fs, map[string]FlagKind{"no-remote-bases": BoolFlag, "sops-age-secret": StringFlag})
	args := []string{
		"--events-addr=http://notification-controller.flux-system.svc.cluster.local./",
		"--watch-all-namespaces=true", "--log-level=debug", "--log-encoding=json",
		"--enable-leader-election", "--concurrent=20", "--requeue-dependency=5s",
		"--watch-label-selector=!sharding.fluxcd.io/key", "--kube-api-qps=500", "--kube-api-burst=1000",
		"--no-remote-bases", "--enable-oom-watch", "--oom-watch-memory-threshold=95",
		"--feature-gates=CacheSecretsAndConfigMaps=true", "--sops-age-secret=sops-age",
	}
	if err := fs.Parse(args); err != nil {
		t.Fatalf("parse: %v", err)
	}
	switch {
	case o.EventsAddr != "http://notification-controller.flux-system.svc.cluster.local./":
		t.Errorf("events-addr = %q", o.EventsAddr)
	case !o.LeaderElection || o.Concurrent != 20 || o.RequeueDependency != 5*time.Second:
		t.Errorf("leader election %v, concurrent %d, requeue %v", o.LeaderElection, o.Concurrent, o.RequeueDependency)
	case o.KubeAPIQPS != 500 || o.KubeAPIBurst != 1000 || o.WatchLabelSelector != "!sharding.fluxcd.io/key":
		t.Errorf("qps %v burst %d selector %q", o.KubeAPIQPS, o.KubeAPIBurst, o.WatchLabelSelector)
	}
	var logged []string
	o.LogIgnored(funcr.New(func(prefix, args string) { logged = append(logged, args) }, funcr.Options{}))
	all := strings.Join(logged, "\n")
	for _, f := range []string{"--no-remote-bases", "--enable-oom-watch", "--oom-watch-memory-threshold", "--sops-age-secret", "CacheSecretsAndConfigMaps"} {
		if !strings.Contains(all, `"`+f+`"`) {
			t.Errorf("%s not logged as ignored:\n%s", f, all)
		}
	}
	if strings.Contains(all, "--concurrent") {
		t.Errorf("a meaningful flag was logged as ignored:\n%s", all)
	}
}

// TestOldCrossNamespaceFlagHonoured: the older spelling of --no-cross-namespace-refs is a
// security setting and must take effect, never be accepted and ignored.
func TestOldCrossNamespaceFlagHonoured(t *testing.T) {
	var o Options
	fs := pflag.NewFlagSet("helm-controller", pflag.ContinueOnError)
	o.BindFlags(fs, 4)
	if err := fs.Parse([]string{"--acl-disable-cross-namespace-refs"}); err != nil {
		t.Fatal(err)
	}
	if !o.NoCrossNamespaceRefs {
		t.Fatal("--acl-disable-cross-namespace-refs did not forbid cross-namespace references")
	}
}

func TestLoggerRejectsUnknownEncoding(t *testing.T) {
	o := Options{LogLevel: "info", LogEncoding: "xml"}
	if _, err := o.Logger(); err == nil || !strings.Contains(err.Error(), "--log-encoding") {
		t.Fatalf("err = %v, want one naming --log-encoding", err)
	}
}

func TestFeatureGates(t *testing.T) {
	for _, tc := range []struct {
		name, flag string
		want       bool
	}{
		{"unset", "", false},
		{"name alone", "StrictPostBuildSubstitutions", true},
		{"true among others", "Other=false, StrictPostBuildSubstitutions=true", true},
		{"false", "StrictPostBuildSubstitutions=false", false},
		{"malformed", "StrictPostBuildSubstitutions=yes please", false},
		{"unknown gate", "SomethingElse=true", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o := Options{FeatureGates: tc.flag}
			o.SetKnownFeatureGates([]string{"StrictPostBuildSubstitutions", "SomethingElse2"})
			if got := o.FeatureGate("StrictPostBuildSubstitutions"); got != tc.want {
				t.Fatalf("FeatureGate = %v, want %v", got, tc.want)
			}
		})
	}
	o := Options{FeatureGates: "SomethingElse=true"}
	if o.FeatureGate("SomethingElse") {
		t.Fatal("a gate the controller does not know was reported on")
	}
}

func TestFlagDefaults(t *testing.T) {
	var o Options
	fs := pflag.NewFlagSet("c", pflag.ContinueOnError)
	o.BindFlags(fs, 4)
	if err := setDefaults(fs, map[string]string{"kube-api-qps": "500"}); err != nil {
		t.Fatal(err)
	}
	if err := fs.Parse(nil); err != nil || o.KubeAPIQPS != 500 || fs.Lookup("kube-api-qps").DefValue != "500" {
		t.Fatalf("qps %v, default %q, err %v", o.KubeAPIQPS, fs.Lookup("kube-api-qps").DefValue, err)
	}
	if err := fs.Parse([]string{"--kube-api-qps=20"}); err != nil || o.KubeAPIQPS != 20 {
		t.Fatalf("the command line does not override the new default: %v %v", o.KubeAPIQPS, err)
	}
	if err := setDefaults(fs, map[string]string{"no-such-flag": "1"}); err == nil {
		t.Fatal("an unknown flag's default was accepted")
	}
}

func TestLeaderElectionIDPerShard(t *testing.T) {
	main := LeaderElectionID("kustomize-controller", "")
	shard1 := LeaderElectionID("kustomize-controller", "sharding.fluxcd.io/key=shard1")
	shard2 := LeaderElectionID("kustomize-controller", "sharding.fluxcd.io/key=shard2")
	if main != "kustomize-controller-leader-election" {
		t.Fatalf("main lease %q", main)
	}
	if shard1 == main || shard1 == shard2 || shard1 != LeaderElectionID("kustomize-controller", "sharding.fluxcd.io/key=shard1") {
		t.Fatalf("leases not one per shard: %q %q %q", main, shard1, shard2)
	}
}

// TestKubeConfigServiceAccountFlag: the controllers of remote clusters honour
// --default-kubeconfig-service-account; the others accept it and log it as ignored.
func TestKubeConfigServiceAccountFlag(t *testing.T) {
	for _, remote := range []bool{true, false} {
		o, fs, err := FlagSet(Program{Name: "c", RemoteClusters: remote}, pflag.ContinueOnError)
		if err != nil {
			t.Fatal(err)
		}
		if err := fs.Parse([]string{"--default-kubeconfig-service-account=tenant"}); err != nil {
			t.Fatal(err)
		}
		_, ignored := o.ignored.values["default-kubeconfig-service-account"]
		if honoured := o.DefaultKubeConfigServiceAccount == "tenant"; honoured != remote || ignored == remote {
			t.Fatalf("remote clusters %v: honoured %v, ignored %v", remote, honoured, ignored)
		}
	}
}

// TestDecryptionServiceAccountFlag: the controller that decrypts SOPS documents honours
// --default-decryption-service-account; the others accept it and log it as ignored.
func TestDecryptionServiceAccountFlag(t *testing.T) {
	for _, decryption := range []bool{true, false} {
		o, fs, err := FlagSet(Program{Name: "c", Decryption: decryption}, pflag.ContinueOnError)
		if err != nil {
			t.Fatal(err)
		}
		if err := fs.Parse([]string{"--default-decryption-service-account=decrypter"}); err != nil {
			t.Fatal(err)
		}
		_, ignored := o.ignored.values["default-decryption-service-account"]
		if honoured := o.DefaultDecryptionServiceAccount == "decrypter"; honoured != decryption || ignored == decryption {
			t.Fatalf("decryption %v: honoured %v, ignored %v", decryption, honoured, ignored)
		}
	}
}

// TestDefaultServiceAccountNeedsObjectLevelIdentity: --default-service-account is honoured by
// the controllers that impersonate; the others, where it locks cloud identities to a
// ServiceAccount, do not start with it unless ObjectLevelWorkloadIdentity is on.
func TestDefaultServiceAccountNeedsObjectLevelIdentity(t *testing.T) {
	for _, tc := range []struct {
		impersonates bool
		gate         string
		refused      bool
	}{
		{impersonates: true},
		{impersonates: false, refused: true},
		{impersonates: false, gate: "--feature-gates=ObjectLevelWorkloadIdentity=true"},
	} {
		p := Program{Name: "c", Impersonates: tc.impersonates, FeatureGates: []string{"ObjectLevelWorkloadIdentity"}}
		o, fs, err := FlagSet(p, pflag.ContinueOnError)
		if err != nil {
			t.Fatal(err)
		}
		if err := refuseDefaultServiceAccount(o, p); err != nil {
			t.Fatalf("%+v, flag unset: %v", tc, err)
		}
		args := []string{"--default-service-account=tenant"}
		if tc.gate != "" {
			args = append(args, tc.gate)
		}
		if err := fs.Parse(args); err != nil {
			t.Fatal(err)
		}
		err = refuseDefaultServiceAccount(o, p)
		if o.DefaultServiceAccount != "tenant" {
			t.Fatalf("%+v: the flag was not read", tc)
		}
		if refused := err != nil; refused != tc.refused {
			t.Fatalf("%+v: refused %v: %v", tc, refused, err)
		}
		if tc.refused && !strings.Contains(err.Error(), "--feature-gates=ObjectLevelWorkloadIdentity=true") {
			t.Fatalf("the refusal does not say what to do: %v", err)
		}
	}
}
