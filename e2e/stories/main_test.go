// Package stories holds Ferry's end-to-end user stories: the whole fleet of six controllers
// runs as processes, with the flags of deploy/, against a full local control plane
// (kube-apiserver, kube-controller-manager, kube-scheduler and KWOK, so Deployments really
// roll out), and each story drives it as a user would, through Git pushes, Helm chart
// repositories, OCI and S3, and the Kubernetes API.
package stories

import (
	"os"
	"testing"

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
	// controllers is the fleet, started once for all stories (from $FERRY_BIN, which make
	// test and make e2e set to bin/, or built).
	controllers *fleet.Fleet
)

func TestMain(m *testing.M) {
	os.Exit(fleet.RunSuite(m, repoRoot, func(e *testenv.Env, f *fleet.Fleet) { env, controllers = e, f }))
}
