package helmrelease

import (
	"context"
	"testing"

	"github.com/go-logr/logr"
	"k8s.io/client-go/rest"

	helmv2 "github.com/ferry-gitops/ferry/shared/api/helm/v2"
	fluxmeta "github.com/ferry-gitops/ferry/shared/api/meta"
	"github.com/ferry-gitops/ferry/shared/runtime/reconcile"
)

func TestImpersonatedIdentity(t *testing.T) {
	tests := []struct {
		name, sa, defaultSA, want string
	}{
		{name: "controller's own identity"},
		{name: "default service account flag", defaultSA: "flux-applier", want: "system:serviceaccount:apps:flux-applier"},
		{name: "spec wins", sa: "deployer", defaultSA: "flux-applier", want: "system:serviceaccount:apps:deployer"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := &Reconciler{restCfg: &rest.Config{Host: "https://127.0.0.1:1"}, defaultServiceAccount: tt.defaultSA}
			obj := newRelease("apps", "app", "chart", "")
			obj.Spec.ServiceAccountName = tt.sa
			cfg, err := r.restConfig(context.Background(), &reconcile.Scope[*helmv2.HelmRelease]{Obj: obj, Log: logr.Discard()})
			if err != nil {
				t.Fatal(err)
			}
			if cfg.config.Impersonate.UserName != tt.want {
				t.Fatalf("impersonates %q, want %q", cfg.config.Impersonate.UserName, tt.want)
			}
		})
	}
}

func TestNoCrossNamespaceRefs(t *testing.T) {
	st := &state{r: &Reconciler{noCrossNamespaceRefs: true}}
	obj := newRelease("apps", "app", "chart", "")
	obj.Spec.ChartRef.Namespace = "elsewhere"
	_, res := st.chartRef(context.Background(), k8s, obj)
	if !res.IsStalled() || res.Reason != fluxmeta.AccessDeniedReason {
		t.Fatalf("result %+v, want stalled with %s", res, fluxmeta.AccessDeniedReason)
	}
	obj.Spec.ChartRef.Namespace = ""
	if _, res := st.chartRef(context.Background(), k8s, obj); !res.IsWaiting() {
		t.Fatalf("a missing HelmChart in the same namespace is a wait, got %+v", res)
	}
}
