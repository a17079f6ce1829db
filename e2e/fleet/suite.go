package fleet

import (
	"context"
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
// $FERRY_BIN, or built), hands both to ready, runs the tests and stops everything. It
// returns the exit code for os.Exit.
func RunSuite(m *testing.M, repoRoot string, ready func(*testenv.Env, *Fleet)) int {
	var (
		f   *Fleet
		dir string
	)
	return testenv.Run(m, testenv.Options{
		CRDDirectoryPaths:     []string{filepath.Join(repoRoot, "deploy", "crds")},
		ErrorIfCRDPathMissing: true,
		Workloads:             true,
		Setup: func(env *testenv.Env) error {
			var err error
			if dir, err = os.MkdirTemp("", "ferry-fleet-"); err != nil {
				return err
			}
			if f, err = startForSuite(env, repoRoot, dir); err != nil {
				return err
			}
			ready(env, f)
			return nil
		},
		Teardown: func(*testenv.Env) {
			if f != nil {
				if err := f.Stop(); err != nil {
					fmt.Fprintln(os.Stderr, "fleet:", err)
				}
			}
			_ = os.RemoveAll(dir)
		},
	})
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
