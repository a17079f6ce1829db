package fleet

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/ferry-gitops/ferry/shared/testing/testenv"
)

// RunSuite is the TestMain of a package whose tests need the whole fleet: it starts a full
// control plane (with kube-controller-manager, kube-scheduler and KWOK) holding Ferry's CRDs
// and the namespace flux-system, runs the six controllers with the flags of deploy/ (from
// $FERRY_BIN, or built), hands both to ready, runs the tests and stops everything. While the
// tests run it records every Event and every status of a Ferry object (Recorder); after them
// it fails the run if a value the tests recorded in the fleet's Secrets appears in a
// controller's log or in that record (CheckLeaks). It returns the exit code for os.Exit.
func RunSuite(m *testing.M, repoRoot string, ready func(*testenv.Env, *Fleet)) int {
	env, err := testenv.Start(testenv.Options{
		CRDDirectoryPaths:     []string{filepath.Join(repoRoot, "deploy", "crds")},
		ErrorIfCRDPathMissing: true,
		Workloads:             true,
	})
	if err != nil {
		fmt.Fprintf(os.Stderr, "testenv: %v\n", err)
		return 1
	}
	code := runFleet(m, env, repoRoot, ready)
	if err := env.Stop(); err != nil {
		fmt.Fprintf(os.Stderr, "testenv: %v\n", err)
		code = max(code, 1)
	}
	return code
}

// runFleet starts the fleet and the recorder on env, runs the tests, checks for leaks and
// stops the fleet.
func runFleet(m *testing.M, env *testenv.Env, repoRoot string, ready func(*testenv.Env, *Fleet)) int {
	dir, err := os.MkdirTemp("", "ferry-fleet-")
	if err != nil {
		fmt.Fprintf(os.Stderr, "fleet: %v\n", err)
		return 1
	}
	code := 1
	defer func() {
		// The logs of a failed run (or of any run with FERRY_KEEP_FLEET set) stay for a look.
		if code == 0 && os.Getenv("FERRY_KEEP_FLEET") == "" {
			_ = os.RemoveAll(dir)
			return
		}
		fmt.Fprintf(os.Stderr, "fleet: the controllers' logs and the API record stay in %s\n", dir)
	}()
	f, err := startForSuite(env, repoRoot, dir)
	if err != nil {
		fmt.Fprintf(os.Stderr, "fleet: failed to set up the suite: %v\n", err)
		return 1
	}
	rec, err := StartRecorder(env.Config, filepath.Join(dir, APIRecordFile))
	if err != nil {
		fmt.Fprintf(os.Stderr, "fleet: %v\n", errors.Join(err, f.Stop()))
		return 1
	}
	ready(env, f)
	code = m.Run()
	if err := rec.Stop(); err != nil {
		fmt.Fprintf(os.Stderr, "fleet: the API record is incomplete: %v\n", err)
		code = max(code, 1)
	}
	if err := f.Stop(); err != nil {
		fmt.Fprintln(os.Stderr, "fleet:", err)
	}
	if err := f.CheckLeaks(os.Stderr); err != nil {
		fmt.Fprintf(os.Stderr, "fleet: %v\n", err)
		code = max(code, 1)
	}
	return code
}

func startForSuite(env *testenv.Env, repoRoot, dir string) (*Fleet, error) {
	ctx := context.Background()
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: Namespace}}
	if err := env.Client.Create(ctx, ns); err != nil {
		return nil, fmt.Errorf("failed to create namespace %s: %w", Namespace, err)
	}
	bin, err := Binaries(ctx, repoRoot, filepath.Join(dir, "bin"), os.Stderr)
	if err != nil {
		return nil, err
	}
	args, err := DeployArgs(filepath.Join(repoRoot, "deploy"))
	if err != nil {
		return nil, err
	}
	return Start(ctx, Options{Bin: bin, Kubeconfig: env.Kubeconfig, Dir: dir, Args: args})
}
