package helmrepository_test

import (
	"context"
	"fmt"
	"os"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	fluxmeta "github.com/ferry-gitops/ferry/shared/api/meta"
	sourcev1 "github.com/ferry-gitops/ferry/shared/api/source/v1"
	"github.com/ferry-gitops/ferry/shared/runtime/conditions"
	"github.com/ferry-gitops/ferry/shared/testing/testenv"
	"github.com/ferry-gitops/ferry/source-controller/internal/controller"
	"github.com/ferry-gitops/ferry/source-controller/internal/controller/helmrepository"
	"github.com/ferry-gitops/ferry/source-controller/internal/controller/sourcetest"
	"github.com/ferry-gitops/ferry/source-controller/internal/storage"
)

// indexMaxSize is the index size limit of the controller under test.
const indexMaxSize = 64 << 10

var (
	env  *testenv.Env
	st   *storage.Storage
	deps *controller.Deps
)

func TestMain(m *testing.M) {
	limits := controller.DefaultHelmLimits()
	limits.IndexMaxSize = indexMaxSize
	os.Exit(sourcetest.Run(m, sourcetest.Options{
		Kinds:    []client.Object{&sourcev1.HelmRepository{}},
		Helm:     limits,
		Register: helmrepository.Setup,
		Started:  func(s *sourcetest.Suite) { env, st, deps = s.Env, s.Storage, s.Deps },
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

// waitFor polls obj until check passes and returns the last object read.
func waitFor(g *WithT, obj *sourcev1.HelmRepository, check func(*sourcev1.HelmRepository) bool) *sourcev1.HelmRepository {
	got := &sourcev1.HelmRepository{}
	g.Eventually(func() bool {
		if err := env.Client.Get(context.Background(), client.ObjectKeyFromObject(obj), got); err != nil {
			return false
		}
		return got.Status.ObservedGeneration == got.Generation && check(got)
	}, testenv.Timeout, testenv.Interval).Should(BeTrue(), func() string { return fmt.Sprintf("status: %+v", got.Status) })
	g.Expect(conditions.CheckInvariants(got)).To(Succeed())
	return got
}

func readyIs(status metav1.ConditionStatus, reason string) func(*sourcev1.HelmRepository) bool {
	return func(obj *sourcev1.HelmRepository) bool {
		c := conditions.Get(obj, fluxmeta.ReadyCondition)
		return c != nil && c.Status == status && c.Reason == reason
	}
}

// requestReconcile sets the requestedAt annotation and returns its value.
func requestReconcile(g *WithT, obj *sourcev1.HelmRepository) string {
	v := time.Now().Format(time.RFC3339Nano)
	got := &sourcev1.HelmRepository{}
	g.Expect(env.Client.Get(context.Background(), client.ObjectKeyFromObject(obj), got)).To(Succeed())
	patch := client.MergeFrom(got.DeepCopy())
	if got.Annotations == nil {
		got.Annotations = map[string]string{}
	}
	got.Annotations[fluxmeta.ReconcileRequestAnnotation] = v
	g.Expect(env.Client.Patch(context.Background(), got, patch)).To(Succeed())
	return v
}
