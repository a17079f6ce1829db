// Command run is `make run`: it starts a local control plane (etcd, kube-apiserver,
// kube-controller-manager, kube-scheduler and KWOK with one fake node), installs Ferry's CRDs,
// runs the fleet's six controllers as processes with deploy/'s flags, starts the demo world
// (a Git server holding demo.git, a chart repository, and the GitRepository, Kustomizations,
// HelmRepository and HelmRelease pointing at them), waits until all of it is Ready and prints
// what to try. Ctrl-C stops everything it started, in reverse order.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"syscall"
	"time"

	"github.com/ferry-gitops/ferry/e2e/demo"
	"github.com/ferry-gitops/ferry/e2e/fleet"
	"github.com/ferry-gitops/ferry/shared/testing/testenv"
)

// readyTimeout bounds the wait for the demo to become Ready; past it, run prints what is
// not ready and keeps running so that the user can look.
const readyTimeout = 5 * time.Minute

// options are run's flags.
type options struct {
	bin, deploy, testdata string
}

func main() {
	var o options
	flag.StringVar(&o.bin, "bin", "../bin", "directory holding the controller binaries and the ferry CLI (make build)")
	flag.StringVar(&o.deploy, "deploy", "../deploy", "the deploy/ directory: CRDs in crds/, the controllers' flags in its Deployments")
	flag.StringVar(&o.testdata, "testdata", "testdata", "e2e/testdata: the seed repository and the demo chart")
	flag.Parse()
	// `make run | tee run.log` and Ctrl-C: tee dies first. Without this a write to the broken
	// pipe would kill run before it stopped anything; with it the write fails and the
	// shutdown goes on.
	signal.Ignore(syscall.SIGPIPE)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM, syscall.SIGHUP)
	err := run(ctx, o)
	stop()
	if err != nil && ctx.Err() == nil {
		fmt.Fprintln(os.Stderr, "run:", err)
		os.Exit(1)
	}
}

// run starts everything, prints what to try and waits for ctx to end; an error after ctx
// ended is the interruption of a start, not a failure.
func run(ctx context.Context, o options) error {
	if _, err := exec.LookPath("git"); err != nil {
		return errors.New("make run serves the demo repository with git http-backend: install git first")
	}
	started := time.Now()
	fmt.Println("▶ starting the control plane (etcd, kube-apiserver, kube-controller-manager, kube-scheduler, KWOK)…")
	env, err := testenv.Start(testenv.Options{CRDDirectoryPaths: []string{o.deploy + "/crds"}, ErrorIfCRDPathMissing: true, Workloads: true})
	if err != nil {
		return err
	}
	defer stopping("the control plane", env.Stop)
	if err := demo.CreateNamespaces(ctx, env.Client, demo.Namespaces...); err != nil {
		return err
	}
	fmt.Println("▶ starting the six controllers with deploy/'s flags…")
	args, err := fleet.DeployArgs(o.deploy)
	if err != nil {
		return err
	}
	f, err := fleet.Start(ctx, fleet.Options{Bin: o.bin, Kubeconfig: env.Kubeconfig, Dir: env.Dir, Args: args})
	if err != nil {
		return err
	}
	defer stopping("the controllers", f.Stop)
	fmt.Println("▶ starting the demo Git server and chart repository, applying the demo objects…")
	w, err := demo.Start(demo.Options{Testdata: o.testdata, Dir: env.Dir})
	if err != nil {
		return err
	}
	defer stopping("the Git server and the chart repository", w.Stop)
	if err := w.Apply(ctx, env.Client); err != nil {
		return err
	}
	waitCtx, cancel := context.WithTimeout(ctx, readyTimeout)
	defer cancel()
	if err := w.WaitReady(waitCtx, env.Client, os.Stdout); err != nil {
		if ctx.Err() != nil {
			return nil
		}
		fmt.Fprintf(os.Stderr, "\n%v\nThe logs below say why; Ferry keeps running.\n", err)
	} else {
		fmt.Printf("\nFerry is running the demo (ready %s after start).\n", time.Since(started).Round(100*time.Millisecond))
	}
	printTryThis(o, env, f, w)
	<-ctx.Done()
	fmt.Println("\n▶ Ctrl-C: stopping…")
	return nil
}

// stopping stops one part, saying so, and prints its error.
func stopping(what string, stop func() error) {
	fmt.Printf("  stopping %s\n", what)
	if err := stop(); err != nil {
		fmt.Fprintln(os.Stderr, err)
	}
}
