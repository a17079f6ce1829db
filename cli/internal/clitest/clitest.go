// Package clitest runs the ferry command in-process for tests, against the cluster of a
// kubeconfig, and returns what it printed.
package clitest

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/ferry-gitops/ferry/cli/internal/cmd"
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
