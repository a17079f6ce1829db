// Package clitest runs the ferry command in-process for tests, against the cluster of a
// kubeconfig, and returns what it printed.
package clitest

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	"k8s.io/apimachinery/pkg/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"

	"github.com/ferry-gitops/ferry/cli/internal/cmd"
	"github.com/ferry-gitops/ferry/cli/internal/kinds"
	"github.com/ferry-gitops/ferry/shared/testing/testenv"
)

// Result is what one run of the CLI printed and returned.
type Result struct {
	// Out is what it printed on the output stream.
	Out string
	// Err is what it printed on the error stream (progress and failures).
	Err string
	// RunErr is the error it returned (the process exits with 1 when it is set).
	RunErr error
}

// Options tune Run.
type Options struct {
	// Kubeconfig is passed as --kubeconfig.
	Kubeconfig string
	// Timeout bounds the run.
	Timeout time.Duration
	// PollInterval is how often waits poll.
	PollInterval time.Duration
	// Stdin is the command's input.
	Stdin string
}

// Run runs ferry with args and logs what it printed.
func Run(t testing.TB, opts Options, args ...string) Result {
	t.Helper()
	var out, errOut bytes.Buffer
	root := cmd.NewRootCommand(cmd.Options{
		Version: "test", Out: &out, Err: &errOut, In: strings.NewReader(opts.Stdin), PollInterval: opts.PollInterval,
	})
	if opts.Kubeconfig != "" {
		args = append([]string{"--kubeconfig", opts.Kubeconfig}, args...)
	}
	root.SetArgs(args)
	ctx, cancel := context.WithTimeout(context.Background(), opts.Timeout)
	defer cancel()
	runErr := root.ExecuteContext(ctx)
	t.Logf("ferry %v\nstdout:\n%sstderr:\n%serror: %v", args, out.String(), errOut.String(), runErr)
	return Result{Out: out.String(), Err: errOut.String(), RunErr: runErr}
}

// Scheme returns a scheme with client-go's kinds, CustomResourceDefinition and every
// toolkit kind.
func Scheme() *runtime.Scheme {
	scheme := runtime.NewScheme()
	if err := errors.Join(clientgoscheme.AddToScheme(scheme), kinds.AddToScheme(scheme), apiextensionsv1.AddToScheme(scheme)); err != nil {
		// The schemes of these packages always register.
		panic(err)
	}
	return scheme
}

// RunWithWorkloads is the TestMain of a package whose tests install Ferry: a control plane
// that runs workloads (KWOK), without Ferry's CRDs. It sets *env and returns the exit code.
func RunWithWorkloads(m *testing.M, env **testenv.Env) int {
	return testenv.Run(m, testenv.Options{
		Workloads: true,
		Scheme:    Scheme(),
		Setup:     func(e *testenv.Env) error { *env = e; return nil },
	})
}

// Install runs ferry against env with the timeout of an install (Deployments roll out).
func Install(t testing.TB, env *testenv.Env, args ...string) Result {
	t.Helper()
	return Run(t, Options{Kubeconfig: env.Kubeconfig, Timeout: 3 * testenv.RolloutTimeout, PollInterval: 100 * time.Millisecond}, args...)
}
