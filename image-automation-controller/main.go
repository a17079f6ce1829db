// Command image-automation-controller is Ferry's image-automation-controller.
package main

import (
	"os"
	"path/filepath"

	"github.com/spf13/pflag"
	"k8s.io/apimachinery/pkg/runtime"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/ferry-gitops/ferry/image-automation-controller/internal/controller/imageupdateautomation"
	"github.com/ferry-gitops/ferry/image-automation-controller/internal/workspace"
	imagev1 "github.com/ferry-gitops/ferry/shared/api/image/v1"
	sourcev1 "github.com/ferry-gitops/ferry/shared/api/source/v1"
	"github.com/ferry-gitops/ferry/shared/cloud"
	"github.com/ferry-gitops/ferry/shared/runtime/manager"
	"github.com/ferry-gitops/ferry/shared/runtime/reconcile"
)

const controllerName = "image-automation-controller"

// flags are image-automation-controller's own settings.
type flags struct {
	workspacePath string
}

func main() {
	f := &flags{}
	manager.Main(manager.Program{
		Name:              controllerName,
		DefaultConcurrent: 4,
		AddToScheme:       []func(*runtime.Scheme) error{imagev1.AddToScheme, sourcev1.AddToScheme},
		Kinds:             []client.Object{&imagev1.ImageUpdateAutomation{}},
		FeatureGates:      []string{cloud.ObjectLevelWorkloadIdentity},
		Flags:             f.bind,
		Register:          f.register,
	})
}

func (f *flags) bind(fs *pflag.FlagSet) {
	fs.StringVar(&f.workspacePath, "workspace-path", filepath.Join(os.TempDir(), controllerName),
		"The directory keeping one Git clone per ImageUpdateAutomation between runs.")
}

// register opens the store of clones and sets up ImageUpdateAutomation.
func (f *flags) register(mgr ctrl.Manager, rt *reconcile.Runtime, o *manager.Options) error {
	store, err := workspace.NewStore(f.workspacePath)
	if err != nil {
		return err
	}
	return imageupdateautomation.Setup(mgr, rt, o, store)
}
