package dependency

import (
	helmv2 "github.com/ferry-gitops/ferry/shared/api/helm/v2"
	kustomizev1 "github.com/ferry-gitops/ferry/shared/api/kustomize/v1"
	"github.com/ferry-gitops/ferry/shared/runtime/reconcile"
)

// Kustomizations is the Kustomization kind as a dependency.
var Kustomizations = Kind{
	GroupVersion: kustomizev1.GroupVersion, Name: kustomizev1.KustomizationKind,
	New: func() reconcile.Object { return &kustomizev1.Kustomization{} },
}

// HelmReleases is the HelmRelease kind as a dependency.
var HelmReleases = Kind{
	GroupVersion: helmv2.GroupVersion, Name: helmv2.HelmReleaseKind,
	New: func() reconcile.Object { return &helmv2.HelmRelease{} },
}

// Appliers returns the set of a controller of own (Kustomizations or HelmReleases): a
// Kustomization may depend on Kustomizations and HelmReleases, and so may a HelmRelease.
func Appliers(own Kind, additive bool) Set {
	set := Set{Own: own, Additive: additive, lazy: &lazyWatches{}}
	for _, k := range []Kind{Kustomizations, HelmReleases} {
		if k.Name != own.Name {
			set.Others = append(set.Others, k)
		}
	}
	return set
}
