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
	for _, f := range []string{"--no-remote-bases", "--enable-oom-watch", "--oom-watch-memory-threshold", "--feature-gates", "--sops-age-secret"} {
		if !strings.Contains(all, `"`+f+`"`) {
			t.Errorf("%s not logged as ignored:\n%s", f, all)
		}
	}
	if strings.Contains(all, "--concurrent") {
		t.Errorf("a meaningful flag was logged as ignored:\n%s", all)
	}
}

func TestLoggerRejectsUnknownEncoding(t *testing.T) {
	o := Options{LogLevel: "info", LogEncoding: "xml"}
	if _, err := o.Logger(); err == nil || !strings.Contains(err.Error(), "--log-encoding") {
		t.Fatalf("err = %v, want one naming --log-encoding", err)
	}
}
