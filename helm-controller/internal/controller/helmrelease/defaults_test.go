package helmrelease

import (
	"testing"

	. "github.com/onsi/gomega"

	helmv2 "github.com/ferry-gitops/ferry/shared/api/helm/v2"
)

func TestDefaults(t *testing.T) {
	yes, no := true, false
	tests := []struct {
		name     string
		helm3    bool
		spec     helmv2.HelmReleaseSpec
		ssa      bool
		strategy string
		legacy   bool
	}{
		{name: "Helm 4's defaults", ssa: true, strategy: "combined"},
		{name: "Helm 3's defaults", helm3: true, strategy: "nohooks", legacy: true},
		{name: "set fields win over Helm 4's", spec: helmv2.HelmReleaseSpec{
			Install:            &helmv2.Install{ServerSideApply: &no},
			PostRenderStrategy: "separate",
			WaitStrategy:       &helmv2.WaitStrategy{Name: helmv2.WaitStrategyLegacy},
		}, strategy: "separate", legacy: true},
		{name: "set fields win over Helm 3's", helm3: true, spec: helmv2.HelmReleaseSpec{
			Install:            &helmv2.Install{ServerSideApply: &yes},
			PostRenderStrategy: "combined",
			WaitStrategy:       &helmv2.WaitStrategy{Name: helmv2.WaitStrategyPoller},
		}, ssa: true, strategy: "combined"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := NewWithT(t)
			obj := &helmv2.HelmRelease{Spec: tt.spec}
			d := defaults{helm3: tt.helm3}
			g.Expect(d.installServerSide(obj)).To(Equal(tt.ssa), "install server-side")
			g.Expect(d.postRenderStrategy(obj)).To(Equal(tt.strategy), "post-render strategy")
			g.Expect(d.legacyWait(obj)).To(Equal(tt.legacy), "legacy wait")
		})
	}
}
