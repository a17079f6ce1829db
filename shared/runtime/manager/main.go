package manager

import (
	"fmt"
	"os"

	"github.com/spf13/pflag"
	"k8s.io/apimachinery/pkg/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/ferry-gitops/ferry/shared/cloud"
	"github.com/ferry-gitops/ferry/shared/runtime/reconcile"
)

// Program describes one controller binary: what its main wires together.
type Program struct {
	// Name is the controller's name, e.g. "source-controller".
	Name string
	// DefaultConcurrent is the default of --concurrent.
	DefaultConcurrent int
	// AddToScheme registers the API groups the controller reads and writes.
	AddToScheme []func(*runtime.Scheme) error
	// Kinds are the controller's own kinds (sharding applies to them).
	Kinds []client.Object
	// Flags registers the controller's own flags.
	Flags func(fs *pflag.FlagSet)
	// IgnoredFlags are flags Flux's controller of the same name takes and Ferry ignores.
	IgnoredFlags map[string]FlagKind
	// FeatureGates are the --feature-gates this controller acts on (Options.FeatureGate).
	FeatureGates []string
	// FlagDefaults override the defaults of shared flags, e.g. {"kube-api-qps": "500"}.
	FlagDefaults map[string]string
	// Impersonates is set for the controllers that apply as a ServiceAccount
	// (kustomize-controller, helm-controller): their --default-service-account is the one
	// impersonated when an object names none. In the other controllers it is Flux's
	// multi-tenancy lock-down of cloud identities (cloud.ServiceAccountName), which needs the
	// feature gate ObjectLevelWorkloadIdentity: without it they do not start.
	Impersonates bool
	// RemoteClusters is set for the controllers that act on remote clusters through
	// spec.kubeConfig: they take --default-kubeconfig-service-account, which the others
	// accept and ignore.
	RemoteClusters bool
	// Decryption is set for the controller that decrypts SOPS documents with cloud KMS keys
	// (kustomize-controller): it takes --default-decryption-service-account, which the others
	// accept and ignore.
	Decryption bool
	// ServesEvents makes --events-addr the address this controller listens on for events
	// (notification-controller) instead of the one it POSTs its own events to.
	ServesEvents bool
	// Register sets up the controller's reconcilers with the manager.
	Register func(mgr ctrl.Manager, rt *reconcile.Runtime, o *Options) error
}

// Main parses the command line, builds the manager, registers the reconcilers and runs until
// SIGTERM or SIGINT. It exits the process with status 1 on failure.
func Main(p Program) {
	o, fs, err := FlagSet(p, pflag.ExitOnError)
	if err == nil {
		_ = fs.Parse(os.Args[1:])
		err = run(o, p)
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "%s: %v\n", p.Name, err)
		os.Exit(1)
	}
}

// FlagSet registers every flag of the program (shared, ignored, its own) with the program's
// defaults on a new flag set, ready to parse into the returned Options.
func FlagSet(p Program, onError pflag.ErrorHandling) (*Options, *pflag.FlagSet, error) {
	o := &Options{}
	fs := pflag.NewFlagSet(p.Name, onError)
	if p.RemoteClusters {
		o.BindRemoteClusterFlags(fs)
	}
	if p.Decryption {
		o.BindDecryptionFlags(fs)
	}
	o.BindFlags(fs, p.DefaultConcurrent)
	o.AcceptIgnoredFlags(fs, p.IgnoredFlags)
	o.SetKnownFeatureGates(p.FeatureGates)
	if p.Flags != nil {
		p.Flags(fs)
	}
	if err := setDefaults(fs, p.FlagDefaults); err != nil {
		return nil, nil, err
	}
	return o, fs, nil
}

func run(o *Options, p Program) error {
	log, err := o.Logger()
	if err != nil {
		return err
	}
	o.LogIgnored(log)
	if err := refuseDefaultServiceAccount(o, p); err != nil {
		return err
	}
	scheme := runtime.NewScheme()
	for _, add := range append([]func(*runtime.Scheme) error{clientgoscheme.AddToScheme}, p.AddToScheme...) {
		if err := add(scheme); err != nil {
			return fmt.Errorf("failed to build scheme: %w", err)
		}
	}
	mgr, rt, err := New(o, Setup{Name: p.Name, Scheme: scheme, Kinds: p.Kinds, ServesEvents: p.ServesEvents})
	if err != nil {
		return err
	}
	if p.Register != nil {
		if err := p.Register(mgr, rt, o); err != nil {
			return fmt.Errorf("failed to set up reconcilers: %w", err)
		}
	}
	log.Info("starting manager", "controller", p.Name)
	if err := mgr.Start(ctrl.SetupSignalHandler()); err != nil {
		return fmt.Errorf("manager stopped: %w", err)
	}
	return nil
}

// refuseDefaultServiceAccount fails the start of a controller that does not impersonate when
// --default-service-account is set without the feature gate ObjectLevelWorkloadIdentity: the
// lock-down logs objects in with a ServiceAccount's cloud identity, which the gate allows.
func refuseDefaultServiceAccount(o *Options, p Program) error {
	if p.Impersonates || o.DefaultServiceAccount == "" || o.FeatureGate(cloud.ObjectLevelWorkloadIdentity) {
		return nil
	}
	return fmt.Errorf("--default-service-account makes the objects of %s that name no spec.serviceAccountName log in to their cloud provider as that ServiceAccount of their namespace, which needs object-level workload identity: add --feature-gates=%s=true", p.Name, cloud.ObjectLevelWorkloadIdentity)
}
