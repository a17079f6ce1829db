package helmrelease

import (
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"

	helmaction "helm.sh/helm/v3/pkg/action"
	"helm.sh/helm/v3/pkg/chart/loader"
	"k8s.io/cli-runtime/pkg/genericclioptions"

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
	releases := make(chan int)
	errs := make(chan error, floorParallelism)
	var wg sync.WaitGroup
	start := time.Now()
	for range floorParallelism {
		wg.Add(1)
		go func() {
			defer wg.Done()
			cfg := new(helmaction.Configuration)
			if err := cfg.Init(flags, ns, "secret", func(string, ...any) {}); err != nil {
				errs <- err
				return
			}
			for i := range releases {
				install := helmaction.NewInstall(cfg)
				install.ReleaseName, install.Namespace = fmt.Sprintf("floor%03d", i), ns
				if _, err := install.Run(chrt, nil); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	for i := range n {
		releases <- i
	}
	close(releases)
	wg.Wait()
	took := time.Since(start)
	close(errs)
	for err := range errs {
		b.Fatal(err)
	}
	return took
}
