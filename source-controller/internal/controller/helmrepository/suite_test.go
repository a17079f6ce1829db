package helmrepository_test

import (
	"context"
	"os"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	sourcev1 "github.com/ferry-gitops/ferry/shared/api/source/v1"
	"github.com/ferry-gitops/ferry/shared/testing/testenv"
	"github.com/ferry-gitops/ferry/source-controller/internal/controller"
	"github.com/ferry-gitops/ferry/source-controller/internal/controller/helmrepository"
	"github.com/ferry-gitops/ferry/source-controller/internal/controller/sourcetest"
	"github.com/ferry-gitops/ferry/source-controller/internal/storage"
)

// indexMaxSize is the index size limit of the controller under test.
const indexMaxSize = 64 << 10

var (
	env   *testenv.Env
	st    *storage.Storage
	deps  *controller.Deps
	suite *sourcetest.Suite
)

func TestMain(m *testing.M) {
	limits := controller.DefaultHelmLimits()
	limits.IndexMaxSize = indexMaxSize
	os.Exit(sourcetest.Run(m, sourcetest.Options{
		Kinds:    []client.Object{&sourcev1.HelmRepository{}},
		Helm:     limits,
		Register: helmrepository.Setup,
		Started:  func(s *sourcetest.Suite) { env, st, deps, suite = s.Env, s.Storage, s.Deps, s },
	}))
}

func newRepository(ns, name, url string, mutate ...func(*sourcev1.HelmRepository)) *sourcev1.HelmRepository {
	obj := &sourcev1.HelmRepository{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
		Spec:       sourcev1.HelmRepositorySpec{URL: url, Interval: metav1.Duration{Duration: time.Hour}},
	}
	for _, m := range mutate {
		m(obj)
	}
	return obj
}

func createSecret(g *WithT, ns, name string, data map[string][]byte) {
	g.Expect(env.Client.Create(context.Background(), &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name}, Data: data})).To(Succeed())
}
