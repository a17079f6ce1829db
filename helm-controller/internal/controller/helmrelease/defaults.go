package helmrelease

import (
	helmv2 "github.com/ferry-gitops/ferry/shared/api/helm/v2"
)

// UseHelm3DefaultsGate is the feature gate (--feature-gates) that gives the fields a
// HelmRelease leaves unset Helm 3's meaning instead of Helm 4's, as in Flux.
const UseHelm3DefaultsGate = "UseHelm3Defaults"

// defaults say what the fields a HelmRelease leaves unset mean: Helm 4's defaults, as in
// Flux 2.9 (server-side apply on install, hooks post-rendered with the templates, kstatus
// waits), or with helm3 set (UseHelm3DefaultsGate) Helm 3's (client-side apply, hooks never
// post-rendered, Helm 3's readiness checks). Upgrades and rollbacks apply as the release
// was applied (auto) either way.
type defaults struct {
	helm3 bool
}

// installServerSide reports whether an install of obj applies server-side.
func (d defaults) installServerSide(obj *helmv2.HelmRelease) bool {
	if ssa := obj.GetInstall().ServerSideApply; ssa != nil {
		return *ssa
	}
	return !d.helm3
}

// postRenderStrategy returns which manifests of obj the post-renderers transform.
func (d defaults) postRenderStrategy(obj *helmv2.HelmRelease) string {
	switch {
	case obj.Spec.PostRenderStrategy != "":
		return obj.Spec.PostRenderStrategy
	case d.helm3:
		return helmv2.PostRenderStrategyNoHooks
	}
	return helmv2.PostRenderStrategyCombined
}

// legacyWait reports whether obj's actions wait with Helm 3's readiness checks rather than
// kstatus.
func (d defaults) legacyWait(obj *helmv2.HelmRelease) bool {
	if ws := obj.Spec.WaitStrategy; ws != nil && ws.Name != "" {
		return ws.Name == helmv2.WaitStrategyLegacy
	}
	return d.helm3
}
