package install_test

import (
	"errors"
	"os"
	"testing"
	"time"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	"k8s.io/apimachinery/pkg/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"

	"github.com/ferry-gitops/ferry/cli/internal/clitest"
	"github.com/ferry-gitops/ferry/cli/internal/kinds"
	"github.com/ferry-gitops/ferry/shared/testing/testenv"
)

// env is a control plane that runs workloads (KWOK), without Ferry's CRDs: install applies
// them.
var env *testenv.Env

func TestMain(m *testing.M) {
	scheme := runtime.NewScheme()
	if err := errors.Join(clientgoscheme.AddToScheme(scheme), kinds.AddToScheme(scheme), apiextensionsv1.AddToScheme(scheme)); err != nil {
		panic(err)
	}
	os.Exit(testenv.Run(m, testenv.Options{
		Workloads: true,
		Scheme:    scheme,
		Setup:     func(e *testenv.Env) error { env = e; return nil },
	}))
}

// ferry runs the CLI in-process against the control plane.
func ferry(t *testing.T, args ...string) clitest.Result {
	t.Helper()
	return clitest.Run(t, clitest.Options{Kubeconfig: env.Kubeconfig, Timeout: 3 * testenv.RolloutTimeout, PollInterval: 100 * time.Millisecond}, args...)
}
