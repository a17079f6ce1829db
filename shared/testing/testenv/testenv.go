// Package testenv runs a real Kubernetes control plane for tests: etcd and
// kube-apiserver through controller-runtime's envtest (plain mode), and, on
// request, kube-controller-manager, kube-scheduler and KWOK as well, so that
// workloads such as Deployments really roll out on a fake node (full mode).
//
// The binaries are built from source by testbin/build.sh and cached; see
// Binaries. A package shares one environment through Run in its TestMain and
// isolates its tests with NewNamespace.
package testenv

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"k8s.io/apimachinery/pkg/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/envtest"

	"github.com/ferry-gitops/ferry/shared/testing/freeport"
)

// Shared polling settings for Eventually and friends. Timeout allows for the
// ≈2 s the API server takes to serve the first write of a new CRD type.
const (
	// Timeout is how long a test waits for the cluster to converge.
	Timeout = 20 * time.Second
	// Interval is how often a test polls while it waits.
	Interval = 100 * time.Millisecond
	// RolloutTimeout is how long a full-mode test waits for a workload to
	// roll out (scheduling, fake kubelet, controller resyncs).
	RolloutTimeout = 60 * time.Second
)

// startTimeout bounds the start of each control-plane component; a loaded
// two-core machine needs more than envtest's 20 s default.
const startTimeout = 90 * time.Second

// Options configures an environment.
type Options struct {
	// Scheme is used by Env.Client and envtest. Defaults to a scheme with
	// every client-go built-in type.
	Scheme *runtime.Scheme
	// CRDDirectoryPaths lists files or directories of CRD manifests to
	// install before Start returns (for example the repository's deploy/crds).
	CRDDirectoryPaths []string
	// ErrorIfCRDPathMissing makes Start fail when a CRD path does not exist.
	ErrorIfCRDPathMissing bool
	// Workloads starts kube-controller-manager, kube-scheduler and KWOK with
	// one fake node, so that Deployments, ReplicaSets and Pods progress.
	Workloads bool
	// Setup, if set, is called by Run once the environment has started and
	// before the tests run; an error aborts the suite.
	Setup func(*Env) error
	// Teardown, if set, is called by Run after the tests and before the environment stops,
	// so that what Setup started (a controller manager) stops while the API server still
	// answers.
	Teardown func(*Env)
}

// Env is a running test environment.
type Env struct {
	// Config reaches the API server as a cluster administrator.
	Config *rest.Config
	// Client is a controller-runtime client (no cache) using Scheme.
	Client client.Client
	// Scheme is the scheme Client uses.
	Scheme *runtime.Scheme
	// Kubeconfig is the path of a kubeconfig file equivalent to Config.
	Kubeconfig string
	// Dir is a private temporary directory holding the kubeconfig, keys and
	// the logs of every component; Stop removes it.
	Dir string

	env    *envtest.Environment
	procs  []*process
	logs   []*os.File
	reaper *reaper
}

// Start starts a control plane as opts describe and waits until it serves
// requests (and, in full mode, until the fake node is schedulable). The
// caller must call Stop.
func Start(opts Options) (*Env, error) {
	assets, err := Binaries()
	if err != nil {
		return nil, err
	}
	need := []string{binEtcd, binAPIServer}
	if opts.Workloads {
		need = allBinaries
	}
	if err := missingBinaries(assets, need); err != nil {
		return nil, fmt.Errorf("failed to find the test binaries: %w", err)
	}
	dir, err := os.MkdirTemp("", "ferry-testenv-")
	if err != nil {
		return nil, fmt.Errorf("failed to create a temporary directory: %w", err)
	}
	e := &Env{Dir: dir, Scheme: opts.Scheme}
	if e.Scheme == nil {
		e.Scheme = runtime.NewScheme()
		if err := clientgoscheme.AddToScheme(e.Scheme); err != nil {
			return nil, errors.Join(fmt.Errorf("failed to build the scheme: %w", err), e.Stop())
		}
	}
	if err := e.start(assets, opts); err != nil {
		return nil, errors.Join(err, e.Stop())
	}
	return e, nil
}

// start runs envtest and, in full mode, the workload components.
func (e *Env) start(assets string, opts Options) error {
	e.env = &envtest.Environment{
		BinaryAssetsDirectory:    assets,
		Scheme:                   e.Scheme,
		CRDDirectoryPaths:        opts.CRDDirectoryPaths,
		ErrorIfCRDPathMissing:    opts.ErrorIfCRDPathMissing,
		ControlPlaneStartTimeout: startTimeout,
		ControlPlaneStopTimeout:  startTimeout,
	}
	if err := e.attachControlPlaneLogs(); err != nil {
		return err
	}
	var sa serviceAccountKey
	if opts.Workloads {
		var err error
		if sa, err = e.configureWorkloadAPIServer(); err != nil {
			return err
		}
	}
	cfg, err := e.env.Start()
	if err != nil {
		return fmt.Errorf("failed to start the API server: %w%s", err, logTail(e.env.ControlPlane.GetAPIServer().Out))
	}
	plane := e.env.ControlPlane
	if e.reaper, err = startReaper(e.Dir, plane.APIServer.CertDir, plane.Etcd.DataDir); err != nil {
		return err
	}
	e.Config = cfg
	e.Kubeconfig = filepath.Join(e.Dir, "kubeconfig")
	if err := os.WriteFile(e.Kubeconfig, e.env.KubeConfig, 0o600); err != nil {
		return fmt.Errorf("failed to write the kubeconfig: %w", err)
	}
	if e.Client, err = client.New(cfg, client.Options{Scheme: e.Scheme}); err != nil {
		return fmt.Errorf("failed to create the client: %w", err)
	}
	if opts.Workloads {
		return e.startWorkloads(assets, sa)
	}
	return nil
}

// attachControlPlaneLogs sends etcd's and the API server's output to files
// in Dir, which start errors point at.
func (e *Env) attachControlPlaneLogs() error {
	apiLog, err := e.createLog(binAPIServer)
	if err != nil {
		return err
	}
	etcdLog, err := e.createLog(binEtcd)
	if err != nil {
		return err
	}
	api := e.env.ControlPlane.GetAPIServer()
	api.Out, api.Err = apiLog, apiLog
	// Ports from below the ephemeral range, so that no outgoing connection takes one between
	// the choice and the bind (envtest's own choice is the kernel's port 0).
	if api.SecurePort, err = freeport.Port(); err != nil {
		return err
	}
	etcdAddr, err := freeport.Addr()
	if err != nil {
		return err
	}
	e.env.ControlPlane.Etcd = &envtest.Etcd{Out: etcdLog, Err: etcdLog, URL: &url.URL{Scheme: "http", Host: etcdAddr}}
	return nil
}

// createLog creates Dir/<name>.log, which Stop closes.
func (e *Env) createLog(name string) (*os.File, error) {
	f, err := os.Create(filepath.Join(e.Dir, name+".log"))
	if err != nil {
		return nil, fmt.Errorf("failed to create the %s log: %w", name, err)
	}
	e.logs = append(e.logs, f)
	return f, nil
}

// Stop stops the workload components (children first, by PID), then the API
// server and etcd, and removes Dir. It is safe to call on a partly started
// environment and more than once.
func (e *Env) Stop() error {
	var errs []error
	for i := len(e.procs) - 1; i >= 0; i-- {
		if err := e.procs[i].stop(); err != nil {
			errs = append(errs, err)
		}
	}
	e.procs = nil
	if e.env != nil {
		if err := e.env.Stop(); err != nil {
			errs = append(errs, fmt.Errorf("failed to stop the API server: %w", err))
		}
		e.env = nil
	}
	if err := e.reaper.stop(); err != nil {
		errs = append(errs, err)
	}
	e.reaper = nil
	for _, f := range e.logs {
		_ = f.Close()
	}
	e.logs = nil
	if e.Dir != "" && os.Getenv("FERRY_KEEP_TESTENV") != "" {
		// The control plane's logs (and etcd's data) stay for a look.
		fmt.Fprintf(os.Stderr, "testenv: the control plane's logs stay in %s\n", e.Dir)
		e.Dir = ""
	}
	if e.Dir != "" {
		if err := os.RemoveAll(e.Dir); err != nil {
			errs = append(errs, fmt.Errorf("failed to remove %s: %w", e.Dir, err))
		}
		e.Dir = ""
	}
	return errors.Join(errs...)
}

// ServiceAccountIssuer returns the issuer of the service-account tokens the API server signs,
// from its OpenID discovery document. The API server accepts tokens for that audience by
// default: a token that a test's API server, playing a remote cluster, accepts names it.
func (e *Env) ServiceAccountIssuer(ctx context.Context) (string, error) {
	hc, err := rest.HTTPClientFor(e.Config)
	if err != nil {
		return "", fmt.Errorf("failed to create the HTTP client: %w", err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, strings.TrimSuffix(e.Config.Host, "/")+"/.well-known/openid-configuration", nil)
	if err != nil {
		return "", fmt.Errorf("failed to get the OpenID configuration: %w", err)
	}
	resp, err := hc.Do(req)
	if err != nil {
		return "", fmt.Errorf("failed to get the OpenID configuration: %w", err)
	}
	defer resp.Body.Close()
	var doc struct {
		Issuer string `json:"issuer"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&doc); err != nil || doc.Issuer == "" {
		return "", fmt.Errorf("failed to read the issuer of the OpenID configuration (%s)", resp.Status)
	}
	return doc.Issuer, nil
}
