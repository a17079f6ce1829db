package helmrelease

import (
	"fmt"
	"path/filepath"
	"testing"
	"time"

	helmaction "helm.sh/helm/v3/pkg/action"
	"helm.sh/helm/v3/pkg/chart/loader"
	"k8s.io/cli-runtime/pkg/genericclioptions"

	"github.com/ferry-gitops/ferry/shared/testing/benchsize"
	"github.com/ferry-gitops/ferry/shared/testing/testenv"
)

// floorParallelism is the floor's number of concurrent installs: the controller's
// --concurrent default (main.go).
const floorParallelism = 4

// installFloor installs n releases of the small chart into a new namespace with the Helm
// SDK's own install action, floorParallelism at a time, as tightly as a Helm client can (no
// wait, as the benchmark's HelmReleases): the API server's and Helm's own cost of what the
// controller does. It returns how long that took.
func installFloor(b *testing.B, n int) time.Duration {
	ns := testenv.NewNamespace(b, k8s)
	chrt, err := loader.LoadDir(filepath.Join("testdata", "charts", "small"))
	if err != nil {
		b.Fatal(err)
	}
	flags := genericclioptions.NewConfigFlags(false)
	flags.KubeConfig, flags.Namespace = &env.Kubeconfig, &ns
	return benchsize.Parallel(b, n, floorParallelism, func() (func(int) error, error) {
		cfg := new(helmaction.Configuration)
		if err := cfg.Init(flags, ns, "secret", func(string, ...any) {}); err != nil {
			return nil, err
		}
		return func(i int) error {
			install := helmaction.NewInstall(cfg)
			install.ReleaseName, install.Namespace = fmt.Sprintf("floor%03d", i), ns
			_, err := install.Run(chrt, nil)
			return err
		}, nil
	})
}
