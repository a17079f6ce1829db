// Package imagetest starts what the test suites of ImageRepository and ImagePolicy need: a
// real API server with the toolkit CRDs, a tag store in a temporary directory, and the
// image-reflector-controller's manager running the kind's reconciler. Only tests import it.
package imagetest

import (
	"errors"
	"fmt"
	"os"
	"testing"

	"k8s.io/apimachinery/pkg/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/ferry-gitops/ferry/image-reflector-controller/internal/controller"
	"github.com/ferry-gitops/ferry/image-reflector-controller/internal/tagstore"
	imagev1 "github.com/ferry-gitops/ferry/shared/api/image/v1"
	"github.com/ferry-gitops/ferry/shared/cloud"
	"github.com/ferry-gitops/ferry/shared/runtime/manager"
	"github.com/ferry-gitops/ferry/shared/runtime/reconcile"
	"github.com/ferry-gitops/ferry/shared/testing/ctrltest"
	"github.com/ferry-gitops/ferry/shared/testing/testenv"
)

// crdDir is the CRD directory as seen from a kind's package, internal/controller/<kind>.
const crdDir = "../../../../deploy/crds"

// Options describe the controller a suite runs.
type Options struct {
	// Args are extra manager flags, e.g. "--no-cross-namespace-refs".
	Args []string
	// Register sets up the kind's reconciler with the suite's dependencies.
	Register func(mgr ctrl.Manager, rt *reconcile.Runtime, d *controller.Deps) error
	// Started is called once everything runs and before the tests.
	Started func(*Suite)
	// AutoLogin are the --<cloud>-autologin-for-<registry> flags.
	AutoLogin controller.AutoLogin
}

// Suite is what Run started for the tests.
type Suite struct {
	// Env is the API server and its client.
	Env *testenv.Env
	// Store is the tag store the controller writes.
	Store *tagstore.Store
	// Manager is the running controller.
	Manager *ctrltest.Manager

	opts Options
}

// Run starts the API server, the tag store and the controller, runs the tests and stops them,
// the controller before the API server. It returns the exit code for os.Exit.
func Run(m *testing.M, opts Options) int {
	scheme := runtime.NewScheme()
	if err := errors.Join(clientgoscheme.AddToScheme(scheme), imagev1.AddToScheme(scheme)); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	dir, err := os.MkdirTemp("", "ferry-tagstore-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	s := &Suite{opts: opts}
	if s.Store, err = tagstore.Open(dir); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	return testenv.Run(m, testenv.Options{
		Scheme:                scheme,
		CRDDirectoryPaths:     []string{crdDir},
		ErrorIfCRDPathMissing: true,
		Setup: func(e *testenv.Env) error {
			s.Env = e
			if s.Manager, err = s.Start(); err != nil {
				return err
			}
			if opts.Started != nil {
				opts.Started(s)
			}
			return nil
		},
		Teardown: func(*testenv.Env) { s.Manager.Stop() },
	})
}

// Start starts a new manager running the suite's reconciler on its tag store, as a
// (re)started controller does. Stop the suite's Manager first when restarting it.
func (s *Suite) Start() (*ctrltest.Manager, error) {
	return ctrltest.Start(s.Env, ctrltest.Options{
		Name:         "image-reflector-controller",
		Kinds:        []client.Object{&imagev1.ImageRepository{}, &imagev1.ImagePolicy{}},
		Args:         s.opts.Args,
		FeatureGates: []string{cloud.ObjectLevelWorkloadIdentity}, // as main.go declares them
		Register: func(mgr ctrl.Manager, rt *reconcile.Runtime, o *manager.Options) error {
			return s.opts.Register(mgr, rt, &controller.Deps{Store: s.Store, Options: o, Reader: mgr.GetAPIReader(),
				Client: mgr.GetClient(), AutoLogin: s.opts.AutoLogin})
		},
	})
}
