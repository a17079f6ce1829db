// Command image-automation-controller is Ferry's image-automation-controller.
package main

import (
	"k8s.io/apimachinery/pkg/runtime"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

	imagev1 "github.com/ferry-gitops/ferry/shared/api/image/v1"
	"github.com/ferry-gitops/ferry/shared/runtime/controller"
	"github.com/ferry-gitops/ferry/shared/runtime/manager"
	"github.com/ferry-gitops/ferry/shared/runtime/reconcile"
)

const controllerName = "image-automation-controller"

func main() {
	manager.Main(manager.Program{
		Name:              controllerName,
		DefaultConcurrent: 4,
		AddToScheme:       []func(*runtime.Scheme) error{imagev1.AddToScheme},
		Kinds:             []client.Object{&imagev1.ImageUpdateAutomation{}},
		Register:          register,
	})
}

// register refuses ImageUpdateAutomation until its reconciler lands: each object says so in
// its status.
func register(mgr ctrl.Manager, rt *reconcile.Runtime, o *manager.Options) error {
	return controller.RefuseKind(mgr, rt, o, imagev1.ImageUpdateAutomationKind,
		func() *imagev1.ImageUpdateAutomation { return &imagev1.ImageUpdateAutomation{} })
}
