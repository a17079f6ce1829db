package install_test

import (
	"os"
	"testing"

	"github.com/ferry-gitops/ferry/cli/internal/clitest"
	"github.com/ferry-gitops/ferry/shared/testing/testenv"
)

// env is a control plane that runs workloads (KWOK), without Ferry's CRDs: install applies
// them.
var env *testenv.Env

func TestMain(m *testing.M) {
	os.Exit(clitest.RunWithWorkloads(m, &env))
}

// ferry runs the CLI in-process against the control plane.
func ferry(t *testing.T, args ...string) clitest.Result {
	t.Helper()
	return clitest.Install(t, env, args...)
}
