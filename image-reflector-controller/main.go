// Command image-reflector-controller is Ferry's image-reflector-controller.
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

const controllerName = "image-reflector-controller"

func main() {
	manager.Main(manager.Program{
		Name:              controllerName,
		DefaultConcurrent: 4,
		AddToScheme:       []func(*runtime.Scheme) error{imagev1.AddToScheme},
		Kinds:             []client.Object{&imagev1.ImageRepository{}, &imagev1.ImagePolicy{}},
		IgnoredFlags: map[string]manager.FlagKind{
			"storage-path": manager.StringFlag, "storage-value-log-file-size": manager.StringFlag, "gc-interval": manager.StringFlag,
			"aws-autologin-for-ecr": manager.BoolFlag, "gcp-autologin-for-gcr": manager.BoolFlag, "azure-autologin-for-acr": manager.BoolFlag,
		},
		Register: register,
	})
}

// register refuses both kinds until their reconcilers land: each object says so in its status.
func register(mgr ctrl.Manager, rt *reconcile.Runtime, o *manager.Options) error {
	err := controller.RefuseKind(mgr, rt, o, imagev1.ImageRepositoryKind, func() *imagev1.ImageRepository { return &imagev1.ImageRepository{} })
	if err != nil {
		return err
	}
	return controller.RefuseKind(mgr, rt, o, imagev1.ImagePolicyKind, func() *imagev1.ImagePolicy { return &imagev1.ImagePolicy{} })
}
