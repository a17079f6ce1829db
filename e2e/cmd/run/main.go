// Command run is `make run`: it starts a local control plane (etcd, kube-apiserver,
// kube-controller-manager, kube-scheduler and KWOK with one fake node), installs Ferry's CRDs,
// runs the fleet's six controllers as processes against it and waits for Ctrl-C, then stops
// everything it started.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/ferry-gitops/ferry/e2e/fleet"
	"github.com/ferry-gitops/ferry/shared/testing/testenv"
)

func main() {
	bin := flag.String("bin", "../bin", "directory holding the controller binaries (make build)")
	crds := flag.String("crds", "../deploy/crds", "directory of the CRDs to install")
	flag.Parse()
	if err := run(*bin, *crds); err != nil {
		fmt.Fprintln(os.Stderr, "run:", err)
		os.Exit(1)
	}
}

func run(bin, crds string) error {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	fmt.Println("starting the control plane (etcd, kube-apiserver, kube-controller-manager, kube-scheduler, KWOK)…")
	env, err := testenv.Start(testenv.Options{CRDDirectoryPaths: []string{crds}, ErrorIfCRDPathMissing: true, Workloads: true})
	if err != nil {
		return err
	}
	defer func() {
		fmt.Println("stopping the control plane…")
		if err := env.Stop(); err != nil {
			fmt.Fprintln(os.Stderr, err)
		}
	}()
	fmt.Println("starting the fleet…")
	f, err := fleet.Start(ctx, fleet.Options{Bin: bin, Kubeconfig: env.Kubeconfig, Dir: env.Dir})
	if err != nil {
		return err
	}
	defer func() {
		fmt.Println("stopping the fleet…")
		if err := f.Stop(); err != nil {
			fmt.Fprintln(os.Stderr, err)
		}
	}()
	fmt.Printf("\nFerry is running. In another terminal:\n\n  export KUBECONFIG=%s\n", env.Kubeconfig)
	fmt.Println("  kubectl get crds | grep fluxcd")
	fmt.Println("  kubectl get gitrepositories,kustomizations,helmreleases -A")
	fmt.Println()
	for _, p := range f.Processes {
		fmt.Printf("  %-28s metrics http://%s/metrics  health http://%s/readyz\n", p.Name, p.MetricsAddr, p.HealthAddr)
	}
	fmt.Printf("\nLogs of every component are in %s. Press Ctrl-C to stop.\n", env.Dir)
	<-ctx.Done()
	return nil
}
