// Package stories holds Ferry's end-to-end user stories: the whole fleet of six controllers
// runs as processes, with the flags of deploy/, against a full local control plane
// (kube-apiserver, kube-controller-manager, kube-scheduler and KWOK, so Deployments really
// roll out), and each story drives it as a user would, through Git pushes, Helm chart
// repositories and the Kubernetes API.
package stories

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/ferry-gitops/ferry/e2e/fleet"
	"github.com/ferry-gitops/ferry/shared/testing/testenv"
)

const (
	repoRoot  = "../.."
	deployDir = repoRoot + "/deploy"
)

var (
	// env is the control plane every story runs against.
	env *testenv.Env
	// controllers is the fleet, started once for all stories.
	controllers *fleet.Fleet
	// fleetDir holds the controllers' logs and the source-controller's storage.
	fleetDir string
)

func TestMain(m *testing.M) {
	os.Exit(testenv.Run(m, testenv.Options{
		CRDDirectoryPaths:     []string{deployDir + "/crds"},
		ErrorIfCRDPathMissing: true,
		Workloads:             true,
		Setup:                 setUp,
		Teardown: func(*testenv.Env) {
			if controllers != nil {
				if err := controllers.Stop(); err != nil {
					fmt.Fprintln(os.Stderr, "stories:", err)
				}
			}
			_ = os.RemoveAll(fleetDir)
		},
	}))
}

// setUp creates the fleet's namespace and starts the six controllers with deploy/'s flags.
// FERRY_BIN names a directory of prebuilt binaries (make test and make e2e build them
// into bin/); without it they are built here.
func setUp(e *testenv.Env) error {
	env = e
	ctx := context.Background()
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: fleet.Namespace}}
	if err := env.Client.Create(ctx, ns); err != nil {
		return err
	}
	dir, err := os.MkdirTemp("", "ferry-stories-")
	if err != nil {
		return err
	}
	fleetDir = dir
	bin, err := fleet.Binaries(ctx, repoRoot, filepath.Join(dir, "bin"), os.Stderr)
	if err != nil {
		return err
	}
	args, err := fleet.DeployArgs(deployDir)
	if err != nil {
		return err
	}
	controllers, err = fleet.Start(ctx, fleet.Options{Bin: bin, Kubeconfig: env.Kubeconfig, Dir: dir, Args: args})
	if err != nil {
		return err
	}
	return nil
}
