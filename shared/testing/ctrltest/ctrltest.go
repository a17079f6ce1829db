// Package ctrltest runs a controller's reconcilers in a test, against a testenv API server,
// with the same manager, runtime and defaults as the controller's binary.
package ctrltest

import (
	"context"
	goflag "flag"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/spf13/pflag"
	"k8s.io/apimachinery/pkg/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/ferry-gitops/ferry/shared/runtime/manager"
	"github.com/ferry-gitops/ferry/shared/runtime/reconcile"
	"github.com/ferry-gitops/ferry/shared/testing/testenv"
)

// Options describe the controller under test.
type Options struct {
	// Name is the controller's name (field manager, event source).
	Name string
	// Kinds are the controller's own kinds.
	Kinds []client.Object
	// Args are command-line flags of the shared manager options, e.g. "--concurrent=4";
	// defaults are Flux's. Metrics and health endpoints are always off.
	Args []string
	// Register sets up the reconcilers, as manager.Program.Register does.
	Register func(mgr ctrl.Manager, rt *reconcile.Runtime, o *manager.Options) error
	// ServesEvents is manager.Program.ServesEvents: --events-addr is a listen address.
	ServesEvents bool
	// RemoteClusters is manager.Program.RemoteClusters: the flags of remote clusters
	// (--default-kubeconfig-service-account) are taken.
	RemoteClusters bool
	// FeatureGates is manager.Program.FeatureGates: the gates that --feature-gates in Args
	// may turn on.
	FeatureGates []string
}

// Manager is a running controller manager.
type Manager struct {
	// Manager is the controller-runtime manager.
	ctrl.Manager
	// Runtime is the shared reconcile runtime its reconcilers use.
	Runtime *reconcile.Runtime
	// Options are the parsed shared options.
	Options *manager.Options

	cancel context.CancelFunc
	done   chan error
}

// Start builds a manager on env with env.Scheme (which must hold the controller's kinds),
// registers the reconcilers and starts it. Controller names may repeat across managers, so a
// test can stop and start a controller again. Call Stop when done.
func Start(env *testenv.Env, opts Options) (*Manager, error) {
	// The manager's flag set adopts Go's command line and marks it parsed; parse the test
	// binary's own flags (-run, -v, -count…) first, or a TestMain that starts a manager
	// before m.Run would have them ignored.
	if !goflag.Parsed() {
		goflag.Parse()
	}
	o := &manager.Options{}
	fs := pflag.NewFlagSet(opts.Name, pflag.ContinueOnError)
	if opts.RemoteClusters {
		o.BindRemoteClusterFlags(fs)
	}
	o.BindFlags(fs, 4)
	o.SetKnownFeatureGates(opts.FeatureGates)
	args := append([]string{"--metrics-addr=0", "--health-addr=0", "--min-retry-delay=100ms", "--max-retry-delay=2s"}, opts.Args...)
	if err := fs.Parse(args); err != nil {
		return nil, fmt.Errorf("failed to parse the manager flags: %w", err)
	}
	scheme := env.Scheme
	if scheme == nil {
		scheme = runtime.NewScheme()
	}
	mgr, rt, err := manager.New(o, manager.Setup{Name: opts.Name, Scheme: scheme, Kinds: opts.Kinds, Config: env.Config,
		SkipNameValidation: true, ServesEvents: opts.ServesEvents})
	if err != nil {
		return nil, err
	}
	if opts.Register != nil {
		if err := opts.Register(mgr, rt, o); err != nil {
			return nil, fmt.Errorf("failed to register the reconcilers: %w", err)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	m := &Manager{Manager: mgr, Runtime: rt, Options: o, cancel: cancel, done: make(chan error, 1)}
	go func() { m.done <- mgr.Start(ctx) }()
	syncCtx, syncCancel := context.WithTimeout(ctx, testenv.Timeout)
	defer syncCancel()
	if !mgr.GetCache().WaitForCacheSync(syncCtx) {
		m.Stop()
		return nil, fmt.Errorf("failed to sync the manager's cache within %s", testenv.Timeout)
	}
	return m, nil
}

// Stop stops the manager and waits up to a minute for it to finish.
func (m *Manager) Stop() {
	m.cancel()
	select {
	case <-m.done:
	case <-time.After(time.Minute):
	}
}

// SuiteOptions describe the test suite of a controller package: a real API server with the
// toolkit's CRDs and one running manager.
type SuiteOptions struct {
	// AddToScheme registers the API groups the controller uses (client-go's are always in).
	AddToScheme []func(*runtime.Scheme) error
	// CRDDirectoryPaths hold the CRDs to install, relative to the package.
	CRDDirectoryPaths []string
	// Manager describes the controller.
	Manager Options
	// Started, if set, receives the environment and the manager before the tests run.
	Started func(*testenv.Env, *Manager)
}

// RunSuite starts the API server and the controller, runs the package's tests and stops
// them, the controller first. It returns the exit code for os.Exit.
func RunSuite(m *testing.M, opts SuiteOptions) int {
	scheme := runtime.NewScheme()
	for _, add := range append([]func(*runtime.Scheme) error{clientgoscheme.AddToScheme}, opts.AddToScheme...) {
		if err := add(scheme); err != nil {
			fmt.Fprintf(os.Stderr, "ctrltest: %v\n", err)
			return 1
		}
	}
	var mgr *Manager
	return testenv.Run(m, testenv.Options{
		Scheme:                scheme,
		CRDDirectoryPaths:     opts.CRDDirectoryPaths,
		ErrorIfCRDPathMissing: true,
		Setup: func(e *testenv.Env) error {
			var err error
			if mgr, err = Start(e, opts.Manager); err != nil {
				return err
			}
			if opts.Started != nil {
				opts.Started(e, mgr)
			}
			return nil
		},
		Teardown: func(*testenv.Env) {
			if mgr != nil {
				mgr.Stop()
			}
		},
	})
}
