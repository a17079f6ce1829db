package helmrelease

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	"go.uber.org/zap/zapcore"
	"helm.sh/helm/v3/pkg/chart/loader"
	"helm.sh/helm/v3/pkg/chartutil"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"

	helmv2 "github.com/ferry-gitops/ferry/shared/api/helm/v2"
	kustomizev1 "github.com/ferry-gitops/ferry/shared/api/kustomize/v1"
	fluxmeta "github.com/ferry-gitops/ferry/shared/api/meta"
	sourcev1 "github.com/ferry-gitops/ferry/shared/api/source/v1"
	"github.com/ferry-gitops/ferry/shared/runtime/conditions"
	"github.com/ferry-gitops/ferry/shared/testing/artifactserver"
	"github.com/ferry-gitops/ferry/shared/testing/ctrltest"
	"github.com/ferry-gitops/ferry/shared/testing/statuscheck"
	"github.com/ferry-gitops/ferry/shared/testing/testenv"
)

var (
	env       *testenv.Env
	k8s       client.Client
	artifacts *artifactserver.Server
)

func TestMain(m *testing.M) {
	os.Exit(testenv.Run(m, testenv.Options{
		Scheme:                newScheme(),
		CRDDirectoryPaths:     []string{"../../../../deploy/crds"},
		ErrorIfCRDPathMissing: true,
		Workloads:             true,
		Setup:                 setup,
	}))
}

func newScheme() *runtime.Scheme {
	s := runtime.NewScheme()
	for _, add := range []func(*runtime.Scheme) error{clientgoscheme.AddToScheme, apiextensionsv1.AddToScheme, helmv2.AddToScheme, kustomizev1.AddToScheme, sourcev1.AddToScheme} {
		if err := add(s); err != nil {
			panic(err)
		}
	}
	return s
}

// setup starts the artifact server and the controller (with the binary's defaults, so
// --concurrent=4), which run until the process ends.
func setup(e *testenv.Env) error {
	env, k8s = e, e.Client
	if os.Getenv("TEST_LOG") != "" {
		ctrl.SetLogger(zap.New(zap.UseDevMode(true), zap.Level(zapcore.Level(-2))))
	}
	var err error
	if artifacts, err = artifactserver.New(); err != nil {
		return err
	}
	_, err = ctrltest.Start(e, ctrltest.Options{
		Name:     "helm-controller",
		Kinds:    []client.Object{&helmv2.HelmRelease{}},
		Register: Setup,
		// As main.go: the controller takes --default-kubeconfig-service-account.
		RemoteClusters: true,
	})
	return err
}

// chartArtifact packages testdata/charts/<name> at the given version and publishes it.
func chartArtifact(t testing.TB, name, version string) fluxmeta.Artifact {
	t.Helper()
	c, err := loader.LoadDir(filepath.Join("testdata", "charts", name))
	if err != nil {
		t.Fatal(err)
	}
	c.Metadata.Version = version
	dir := t.TempDir()
	pkg, err := chartutil.Save(c, dir)
	if err != nil {
		t.Fatal(err)
	}
	// A path of its own (the temporary directory's unique name): a test that publishes the
	// same chart twice must not overwrite the first artifact, whose digest is recorded.
	art, err := artifacts.ArtifactFromFile(fmt.Sprintf("helmchart/%s/%s/%s-%s.tgz", t.Name(), filepath.Base(dir), name, version), pkg, version)
	if err != nil {
		t.Fatal(err)
	}
	return art
}

// setArtifact makes a source Ready with the artifact, as the source-controller would.
func setArtifact(t testing.TB, src client.Object, art *fluxmeta.Artifact) {
	t.Helper()
	g := NewWithT(t)
	g.Eventually(func() error {
		if err := k8s.Get(context.Background(), client.ObjectKeyFromObject(src), src); err != nil {
			return err
		}
		st := src.(fluxmeta.StatusObject)
		st.GetObjectStatus().ObservedGeneration = src.GetGeneration()
		switch s := src.(type) {
		case *sourcev1.HelmChart:
			s.Status.Artifact = art
		case *sourcev1.OCIRepository:
			s.Status.Artifact = art
		}
		if art != nil {
			conditions.MarkTrue(st, fluxmeta.ReadyCondition, fluxmeta.SucceededReason, "stored artifact for revision "+art.Revision)
		}
		return k8s.Status().Update(context.Background(), src)
	}, testenv.Timeout, testenv.Interval).Should(Succeed())
}

// helmChart creates a HelmChart in ns (as a chartRef target) serving the chart.
func helmChart(t *testing.T, ns, name, chartName, version string) *sourcev1.HelmChart {
	t.Helper()
	hc := &sourcev1.HelmChart{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns},
		Spec: sourcev1.HelmChartSpec{
			Chart:     chartName,
			Version:   version,
			SourceRef: sourcev1.LocalHelmChartSourceReference{Kind: sourcev1.HelmRepositoryKind, Name: "repo"},
			Interval:  metav1.Duration{Duration: time.Hour},
		},
	}
	if err := k8s.Create(context.Background(), hc); err != nil {
		t.Fatal(err)
	}
	art := chartArtifact(t, chartName, version)
	setArtifact(t, hc, &art)
	return hc
}

// newRelease returns a HelmRelease of the chart served by the HelmChart chartRef.
func newRelease(ns, name, chartRef string, values string) *helmv2.HelmRelease {
	hr := &helmv2.HelmRelease{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns},
		Spec: helmv2.HelmReleaseSpec{
			Interval: metav1.Duration{Duration: time.Hour},
			ChartRef: &helmv2.CrossNamespaceSourceReference{Kind: sourcev1.HelmChartKind, Name: chartRef},
			Timeout:  &metav1.Duration{Duration: time.Minute},
		},
	}
	if values != "" {
		hr.Spec.Values = jsonValues(values)
	}
	return hr
}

// waitCondition waits until hr has the condition typ with status and reason at its
// generation (and holds the kstatus invariants), and returns it.
func waitCondition(t *testing.T, hr *helmv2.HelmRelease, typ string, status metav1.ConditionStatus, reason string) *helmv2.HelmRelease {
	t.Helper()
	return statuscheck.Wait(t, k8s, hr, func(g Gomega, cur *helmv2.HelmRelease) {
		c := conditions.Get(cur, typ)
		g.Expect(c).NotTo(BeNil(), "no %s condition", typ)
		g.Expect(c.Status).To(Equal(status), "%s: %s", c.Reason, c.Message)
		g.Expect(c.Reason).To(Equal(reason), c.Message)
	})
}

// waitVersion waits until the latest snapshot of hr is the given revision and returns it.
func waitVersion(t *testing.T, hr *helmv2.HelmRelease, version int) *helmv2.HelmRelease {
	t.Helper()
	return statuscheck.Wait(t, k8s, hr, func(g Gomega, cur *helmv2.HelmRelease) {
		g.Expect(cur.Status.History).NotTo(BeEmpty())
		g.Expect(cur.Status.History.Latest().Version).To(Equal(version))
	})
}

// deleteAndWait deletes obj and waits until it is gone.
func deleteAndWait(t *testing.T, obj client.Object) {
	t.Helper()
	g := NewWithT(t)
	g.Expect(client.IgnoreNotFound(k8s.Delete(context.Background(), obj))).To(Succeed())
	g.Eventually(func() bool {
		err := k8s.Get(context.Background(), client.ObjectKeyFromObject(obj), obj)
		return apierrors.IsNotFound(err)
	}, testenv.RolloutTimeout, testenv.Interval).Should(BeTrue())
}

func key(ns, name string) types.NamespacedName {
	return types.NamespacedName{Namespace: ns, Name: name}
}

func jsonValues(s string) *apiextensionsv1.JSON { return &apiextensionsv1.JSON{Raw: []byte(s)} }
