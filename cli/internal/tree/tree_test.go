package tree

import (
	"strings"
	"testing"
)

func TestRender(t *testing.T) {
	root := &Node{Name: "Kustomization/flux-system/flux-system"}
	root.Add("Namespace/flux-system")
	apps := root.Add("Kustomization/flux-system/apps")
	hr := apps.Add("HelmRelease/apps/web")
	hr.Add("Deployment/apps/web")
	hr.Add("Service/apps/web")
	apps.Add("ConfigMap/apps/settings")
	var b strings.Builder
	if err := root.Render(&b); err != nil {
		t.Fatal(err)
	}
	want := `Kustomization/flux-system/flux-system
├── Namespace/flux-system
└── Kustomization/flux-system/apps
    ├── HelmRelease/apps/web
    │   ├── Deployment/apps/web
    │   └── Service/apps/web
    └── ConfigMap/apps/settings
`
	if b.String() != want {
		t.Errorf("tree:\n%s\nwant:\n%s", b.String(), want)
	}
}

func TestParseEntry(t *testing.T) {
	for _, tc := range []struct {
		id, version, str, apiVersion string
		bad                          bool
	}{
		{id: "apps_web_apps_Deployment", version: "v1", str: "Deployment/apps/web", apiVersion: "apps/v1"},
		{id: "_flux-system__Namespace", version: "v1", str: "Namespace/flux-system", apiVersion: "v1"},
		{id: "flux-system_apps_kustomize.toolkit.fluxcd.io_Kustomization", version: "v1", str: "Kustomization/flux-system/apps",
			apiVersion: "kustomize.toolkit.fluxcd.io/v1"},
		{id: "nonsense", bad: true},
		{id: "a__b_", bad: true},
	} {
		t.Run(tc.id, func(t *testing.T) {
			e, err := ParseEntry(tc.id, tc.version)
			if tc.bad {
				if err == nil {
					t.Errorf("parsed %+v", e)
				}
				return
			}
			if err != nil || e.String() != tc.str || e.APIVersion() != tc.apiVersion {
				t.Errorf("ParseEntry = %+v (%s, %s), %v", e, e.String(), e.APIVersion(), err)
			}
		})
	}
}
