// Command image-reflector-controller is Ferry's image-reflector-controller.
package main

import (
	"github.com/spf13/pflag"
	"k8s.io/apimachinery/pkg/runtime"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/ferry-gitops/ferry/image-reflector-controller/internal/controller"
	"github.com/ferry-gitops/ferry/image-reflector-controller/internal/controller/imagepolicy"
	"github.com/ferry-gitops/ferry/image-reflector-controller/internal/controller/imagerepository"
	"github.com/ferry-gitops/ferry/image-reflector-controller/internal/tagstore"
	imagev1 "github.com/ferry-gitops/ferry/shared/api/image/v1"
	"github.com/ferry-gitops/ferry/shared/cloud"
	"github.com/ferry-gitops/ferry/shared/runtime/manager"
	"github.com/ferry-gitops/ferry/shared/runtime/reconcile"
)

const controllerName = "image-reflector-controller"

// flags are image-reflector-controller's own settings.
type flags struct {
	storagePath string
	autoLogin   controller.AutoLogin
}

func main() {
	f := &flags{}
	manager.Main(manager.Program{
		Name:              controllerName,
		DefaultConcurrent: 4,
		AddToScheme:       []func(*runtime.Scheme) error{imagev1.AddToScheme},
		Kinds:             []client.Object{&imagev1.ImageRepository{}, &imagev1.ImagePolicy{}},
		Flags:             f.bind,
		FeatureGates:      []string{cloud.ObjectLevelWorkloadIdentity},
		IgnoredFlags: map[string]manager.FlagKind{
			"storage-value-log-file-size": manager.StringFlag, "gc-interval": manager.StringFlag,
		},
		Register: f.register,
	})
}

func (f *flags) bind(fs *pflag.FlagSet) {
	fs.StringVar(&f.storagePath, "storage-path", "/data", "The directory holding the tags of every ImageRepository.")
	fs.BoolVar(&f.autoLogin.AWS, "aws-autologin-for-ecr", false, "(Deprecated: use spec.provider) Log in to Amazon ECR hosts of generic ImageRepositories without a secretRef with the controller's AWS identity.")
	fs.BoolVar(&f.autoLogin.GCP, "gcp-autologin-for-gcr", false, "(Deprecated: use spec.provider) Log in to Google registry hosts of generic ImageRepositories without a secretRef with the controller's Google identity.")
	fs.BoolVar(&f.autoLogin.Azure, "azure-autologin-for-acr", false, "(Deprecated: use spec.provider) Log in to Azure Container Registry hosts of generic ImageRepositories without a secretRef with the controller's Azure identity.")
}

// register opens the tag store and sets up both kinds.
func (f *flags) register(mgr ctrl.Manager, rt *reconcile.Runtime, o *manager.Options) error {
	store, err := tagstore.Open(f.storagePath)
	if err != nil {
		return err
	}
	deps := &controller.Deps{Store: store, Options: o, Reader: mgr.GetAPIReader(), Client: mgr.GetClient(), AutoLogin: f.autoLogin}
	if err := imagerepository.Setup(mgr, rt, deps); err != nil {
		return err
	}
	return imagepolicy.Setup(mgr, rt, deps)
}
