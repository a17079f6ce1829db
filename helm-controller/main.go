// Command helm-controller is Ferry's helm-controller.
package main

import (
	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/ferry-gitops/ferry/helm-controller/internal/controller/helmrelease"
	helmv2 "github.com/ferry-gitops/ferry/shared/api/helm/v2"
	kustomizev1 "github.com/ferry-gitops/ferry/shared/api/kustomize/v1"
	sourcev1 "github.com/ferry-gitops/ferry/shared/api/source/v1"
	"github.com/ferry-gitops/ferry/shared/runtime/dependency"
	"github.com/ferry-gitops/ferry/shared/runtime/manager"
)

const controllerName = "helm-controller"

func main() {
	manager.Main(manager.Program{
		Name:              controllerName,
		DefaultConcurrent: 4,
		AddToScheme:       []func(*runtime.Scheme) error{helmv2.AddToScheme, kustomizev1.AddToScheme, sourcev1.AddToScheme},
		FeatureGates:      []string{dependency.AdditiveGate, helmrelease.UseHelm3DefaultsGate},
		Kinds:             []client.Object{&helmv2.HelmRelease{}},
		RemoteClusters:    true,
		Impersonates:      true,
		IgnoredFlags: map[string]manager.FlagKind{
			"http-retry": manager.StringFlag, "snapshot-digest-algo": manager.StringFlag,
			"override-manager": manager.StringFlag,
		},
		Register: helmrelease.Setup,
	})
}
