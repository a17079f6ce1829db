// Package chaos proves that Ferry loses nothing under faults: the whole fleet runs as
// processes against a full local control plane while the tests kill controllers with SIGKILL
// at random moments, take the source-controller away, and then check that the cluster holds
// exactly what Git and the chart repository say.
//
// `make test` runs the short form; `make chaos` sets FERRY_CHAOS=full for the workload of
// the issue (200 Kustomizations, 50 HelmReleases, 20 kills). FERRY_CHAOS_SEED replays a run.
package chaos

import (
	"os"
	"testing"

	"github.com/ferry-gitops/ferry/e2e/fleet"
	"github.com/ferry-gitops/ferry/shared/testing/testenv"
)

const repoRoot = "../.."

var (
	// env is the control plane the tests run against.
	env *testenv.Env
	// controllers is the fleet the tests kill and restart.
	controllers *fleet.Fleet
)

func TestMain(m *testing.M) {
	os.Exit(fleet.RunSuite(m, repoRoot, func(e *testenv.Env, f *fleet.Fleet) { env, controllers = e, f }))
}
