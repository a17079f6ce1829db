// Package sourcetest starts what every source kind's controller test suite needs: a real API
// server with the toolkit CRDs, an artifact storage in a temporary directory served on a
// 127.0.0.1 listener, and the source-controller's manager running the kind's reconcilers.
// Only tests import it.
package sourcetest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"sync"
	"testing"

	. "github.com/onsi/gomega"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

	fluxmeta "github.com/ferry-gitops/ferry/shared/api/meta"
	sourcev1 "github.com/ferry-gitops/ferry/shared/api/source/v1"
	sourceextv1beta1 "github.com/ferry-gitops/ferry/shared/api/sourceext/v1beta1"
	"github.com/ferry-gitops/ferry/shared/cloud"
	"github.com/ferry-gitops/ferry/shared/runtime/conditions"
	"github.com/ferry-gitops/ferry/shared/runtime/manager"
	"github.com/ferry-gitops/ferry/shared/runtime/reconcile"
	"github.com/ferry-gitops/ferry/shared/testing/ctrltest"
	"github.com/ferry-gitops/ferry/shared/testing/statuscheck"
	"github.com/ferry-gitops/ferry/shared/testing/testenv"
	"github.com/ferry-gitops/ferry/source-controller/internal/controller"
	"github.com/ferry-gitops/ferry/source-controller/internal/storage"
)

// crdDir is the CRD directory as seen from a kind's package, internal/controller/<kind>.
const crdDir = "../../../../deploy/crds"

// Options describe the controller a suite runs.
type Options struct {
	// Kinds are the kinds the controller reconciles.
	Kinds []client.Object
	// Args are extra manager flags, e.g. "--concurrent=2".
	Args []string
	// Helm bounds what is read from Helm repositories; zero means controller.DefaultHelmLimits.
	Helm controller.HelmLimits
	// Register sets up the kind's reconcilers with the suite's dependencies.
	Register func(mgr ctrl.Manager, rt *reconcile.Runtime, d *controller.Deps) error
	// Started, if set, is called once everything runs and before the tests, so that the
	// suite can keep what it uses in its own variables.
	Started func(*Suite)
}

// Suite is what Run started for the tests.
type Suite struct {
	// Env is the API server and its client.
	Env *testenv.Env
	// Storage is the artifact storage the controller writes and serves.
	Storage *storage.Storage
	// Manager is the running controller.
	Manager *ctrltest.Manager
	// Deps are what the controller's reconcilers were given.
	Deps *controller.Deps

	opts  Options
	stops []func()
}

// Run starts the API server, the storage and the controller, runs the tests and stops them
// all, the controller before the API server. It returns the exit code for os.Exit.
func Run(m *testing.M, opts Options) int {
	scheme := runtime.NewScheme()
	if err := errors.Join(clientgoscheme.AddToScheme(scheme), sourcev1.AddToScheme(scheme), sourceextv1beta1.AddToScheme(scheme)); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	s := &Suite{}
	return testenv.Run(m, testenv.Options{
		Scheme:                scheme,
		CRDDirectoryPaths:     []string{crdDir},
		ErrorIfCRDPathMissing: true,
		Setup: func(e *testenv.Env) error {
			s.Env = e
			if err := s.start(opts); err != nil {
				return err
			}
			if opts.Started != nil {
				opts.Started(s)
			}
			return nil
		},
		Teardown: func(*testenv.Env) { s.stop() },
	})
}

// start serves a storage in a temporary directory on 127.0.0.1 and starts the manager.
func (s *Suite) start(opts Options) error {
	dir, err := os.MkdirTemp("", "source-storage-")
	if err != nil {
		return fmt.Errorf("failed to create the storage directory: %w", err)
	}
	s.stops = append(s.stops, func() { _ = os.RemoveAll(dir) })
	s.opts = opts
	if s.opts.Helm == (controller.HelmLimits{}) {
		s.opts.Helm = controller.DefaultHelmLimits()
	}
	if _, err := s.serve(dir); err != nil {
		return err
	}
	return s.startManager()
}

// serve opens a storage on dir, advertised at a new listener on 127.0.0.1 that serves it,
// and returns that address.
func (s *Suite) serve(dir string) (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", fmt.Errorf("failed to listen for the storage server: %w", err)
	}
	addr := ln.Addr().String()
	st, err := storage.New(storage.Config{Path: dir, AdvertisedAddr: addr})
	if err != nil {
		_ = ln.Close()
		return "", fmt.Errorf("failed to open the storage: %w", err)
	}
	s.Storage = st
	s.stops = append(s.stops, func() { _ = st.Close() })
	ctx, cancel := context.WithCancel(context.Background())
	go func() { _ = st.ServeListener(ctx, ln) }()
	s.stops = append(s.stops, cancel)
	return addr, nil
}

// startManager starts the controller on the suite's storage.
func (s *Suite) startManager() error {
	mgr, err := ctrltest.Start(s.Env, ctrltest.Options{
		Name:         "source-controller",
		Kinds:        s.opts.Kinds,
		Args:         s.opts.Args,
		FeatureGates: []string{cloud.ObjectLevelWorkloadIdentity}, // as main.go declares them
		Register: func(mgr ctrl.Manager, rt *reconcile.Runtime, o *manager.Options) error {
			s.Deps = &controller.Deps{Storage: s.Storage, Options: o, Helm: s.opts.Helm}
			return s.opts.Register(mgr, rt, s.Deps)
		},
	})
	if err != nil {
		return err
	}
	s.Manager = mgr
	return nil
}

// Restart stops the controller and starts it again on the same storage directory, as after
// a restart of source-controller with a new --storage-adv-addr: the storage is now
// advertised at (and served from) a new address on 127.0.0.1, which Restart returns. The
// suite's Started callback runs again, so that the package's variables follow.
func (s *Suite) Restart(t testing.TB) string {
	t.Helper()
	s.Manager.Stop()
	s.Manager = nil
	addr, err := s.serve(s.Storage.Path())
	if err != nil {
		t.Fatal(err)
	}
	if err := s.startManager(); err != nil {
		t.Fatal(err)
	}
	if s.opts.Started != nil {
		s.opts.Started(s)
	}
	return addr
}

// stop stops the controller, then what start started, last first.
func (s *Suite) stop() {
	if s.Manager != nil {
		s.Manager.Stop()
	}
	for i := len(s.stops) - 1; i >= 0; i-- {
		s.stops[i]()
	}
}

// ClosedAddr returns a host:port on 127.0.0.1 that nothing listens on, for tests of an
// unreachable server.
func ClosedAddr(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	if err := ln.Close(); err != nil {
		t.Fatal(err)
	}
	return addr
}

// LoopbackAlias forwards connections to 127.0.0.2 on a new port to addr and returns
// "127.0.0.2:<port>". Registry clients treat 127.0.0.1 as a plain-HTTP host on their own, but
// not 127.0.0.2: through the alias a test sees the effect of an insecure (plain HTTP) option.
func LoopbackAlias(t testing.TB, addr string) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.2:0")
	if err != nil {
		t.Fatalf("failed to listen on 127.0.0.2: %v", err)
	}
	t.Cleanup(func() { _ = ln.Close() })
	go func() {
		for {
			in, err := ln.Accept()
			if err != nil {
				return
			}
			go forward(in, addr)
		}
	}()
	return ln.Addr().String()
}

// forward copies bytes both ways between in and a new connection to addr, and closes both
// once either side is done.
func forward(in net.Conn, addr string) {
	out, err := net.Dial("tcp", addr)
	if err != nil {
		_ = in.Close()
		return
	}
	var once sync.Once
	closeBoth := func() {
		once.Do(func() {
			_ = in.Close()
			_ = out.Close()
		})
	}
	go func() {
		defer closeBoth()
		_, _ = io.Copy(out, in)
	}()
	defer closeBoth()
	_, _ = io.Copy(in, out)
}

// HangingAddr returns a host:port on 127.0.0.1 that accepts connections and never answers,
// for tests of spec.timeout.
func HangingAddr(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var conns []net.Conn
	t.Cleanup(func() {
		_ = ln.Close()
		mu.Lock()
		defer mu.Unlock()
		for _, c := range conns {
			_ = c.Close()
		}
	})
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
		}
	}()
	return ln.Addr().String()
}

// ReadyWith waits until obj is Ready=True with reason at its generation (statuscheck.Ready
// with the reason a source kind gives its success, such as ChartPullSucceeded), and returns
// it.
func ReadyWith[T statuscheck.Object](t testing.TB, c client.Reader, obj T, reason string) T {
	t.Helper()
	return statuscheck.Wait(t, c, obj, func(g Gomega, cur T) {
		ready := conditions.Get(cur, fluxmeta.ReadyCondition)
		g.Expect(ready).NotTo(BeNil(), "no Ready condition")
		g.Expect(ready.Status).To(Equal(metav1.ConditionTrue), "Ready: %+v", ready)
		g.Expect(ready.Reason).To(Equal(reason), "Ready: %+v", ready)
	})
}

// CheckRestamped checks an artifact read after Restart: it is before, the same file with the
// same digest, revision and time, now served from addr (the new advertised address).
func CheckRestamped(t testing.TB, before, after *fluxmeta.Artifact, addr string) {
	t.Helper()
	g := NewWithT(t)
	g.Expect(after).NotTo(BeNil(), "no artifact after the restart")
	g.Expect(after.URL).To(Equal("http://"+addr+"/"+before.Path), "the URL follows the advertised address")
	want := before.DeepCopy()
	want.URL = after.URL
	g.Expect(after).To(Equal(want))
}

// CheckStoredAgain checks an artifact stored again after its file vanished: the same file,
// digest and revision as before, served from addr.
func CheckStoredAgain(t testing.TB, before, again *fluxmeta.Artifact, addr string) {
	t.Helper()
	g := NewWithT(t)
	g.Expect(again).NotTo(BeNil(), "the vanished artifact was not stored again")
	g.Expect(again.URL).To(Equal("http://"+addr+"/"+before.Path), "the URL follows the advertised address")
	g.Expect(again.Path).To(Equal(before.Path))
	g.Expect(again.Digest).To(Equal(before.Digest))
	g.Expect(again.Revision).To(Equal(before.Revision))
}
