package helmrelease

import (
	"context"
	"testing"

	. "github.com/onsi/gomega"
	appsv1 "k8s.io/api/apps/v1"

	fluxmeta "github.com/ferry-gitops/ferry/shared/api/meta"
	"github.com/ferry-gitops/ferry/shared/runtime/conditions"
	"github.com/ferry-gitops/ferry/shared/testing/statuscheck"
	"github.com/ferry-gitops/ferry/shared/testing/surface"
	"github.com/ferry-gitops/ferry/shared/testing/testenv"
)

// TestRefusedFields: every field the compatibility table refuses stalls the object, naming it.
func TestRefusedFields(t *testing.T) {
	surface.CheckRefused(t, k8s, testenv.NewNamespace(t, k8s), "HelmRelease")
}

// TestRefusedRemoteReleaseLeavesLocalOne: a HelmRelease refused for
// spec.kubeConfig.configMapRef installs nothing, and deleting it leaves alone the release of
// the same name in the management cluster, which is not its own.
func TestRefusedRemoteReleaseLeavesLocalOne(t *testing.T) {
	t.Parallel()
	g := NewWithT(t)
	ctx := context.Background()
	ns := testenv.NewNamespace(t, k8s)
	helmChart(t, ns, "app", "app", "0.1.0")
	local := newRelease(ns, "local", "app", "")
	local.Spec.ReleaseName = "shared"
	g.Expect(k8s.Create(ctx, local)).To(Succeed())
	statuscheck.Ready(t, k8s, local)

	remote := newRelease(ns, "remote", "app", `{"message":"remote"}`)
	remote.Spec.ReleaseName = "shared"
	remote.Spec.KubeConfig = &fluxmeta.KubeConfigReference{ConfigMapRef: &fluxmeta.LocalObjectReference{Name: "cloud"}}
	g.Expect(k8s.Create(ctx, remote)).To(Succeed())
	got := statuscheck.Stalled(t, k8s, remote, fluxmeta.UnsupportedSpecReason, "")
	g.Expect(conditions.Get(got, fluxmeta.ReadyCondition).Message).To(HavePrefix("HelmRelease spec.kubeConfig.configMapRef is not supported by Ferry"))
	g.Expect(got.Status.History).To(BeEmpty())

	deleteAndWait(t, remote)
	g.Expect(releaseSecrets(g, ns, "shared")).To(HaveLen(1))
	var dep appsv1.Deployment
	g.Expect(k8s.Get(ctx, key(ns, "shared"), &dep)).To(Succeed())
	g.Expect(dep.Spec.Template.Annotations["message"]).To(Equal("hello"))
	statuscheck.Ready(t, k8s, local)
}
