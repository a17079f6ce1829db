package imagerepository

import (
	"context"
	"os"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/ferry-gitops/ferry/image-reflector-controller/internal/controller"
	"github.com/ferry-gitops/ferry/image-reflector-controller/internal/controller/imagetest"
	imagev1 "github.com/ferry-gitops/ferry/shared/api/image/v1"
	"github.com/ferry-gitops/ferry/shared/cloud"
	"github.com/ferry-gitops/ferry/shared/testing/testenv"
)

var suite *imagetest.Suite

func TestMain(m *testing.M) {
	os.Exit(imagetest.Run(m, imagetest.Options{Register: Setup, Started: func(s *imagetest.Suite) { suite = s },
		AutoLogin: controller.AutoLogin{AWS: true}, Args: []string{"--feature-gates=" + cloud.ObjectLevelWorkloadIdentity + "=true"}}))
}

// newRepo creates an ImageRepository with a 1h interval (so that only the test's own
// changes trigger scans) unless spec sets one.
func newRepo(t testing.TB, ns, name string, spec imagev1.ImageRepositorySpec) *imagev1.ImageRepository {
	t.Helper()
	if spec.Interval.Duration == 0 {
		spec.Interval = metav1.Duration{Duration: time.Hour}
	}
	obj := &imagev1.ImageRepository{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns}, Spec: spec}
	if err := suite.Env.Client.Create(context.Background(), obj); err != nil {
		t.Fatalf("failed to create ImageRepository %s: %v", name, err)
	}
	return obj
}

// newSecret creates a Secret in ns.
func newSecret(t testing.TB, ns, name string, typ corev1.SecretType, data map[string][]byte) {
	t.Helper()
	s := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns}, Type: typ, Data: data}
	if err := suite.Env.Client.Create(context.Background(), s); err != nil {
		t.Fatal(err)
	}
}

// namespace creates a namespace for one test.
func namespace(t testing.TB) string { return testenv.NewNamespace(t, suite.Env.Client) }
