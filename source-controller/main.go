// Command source-controller is Ferry's source-controller.
package main

import (
	"context"
	"fmt"

	"github.com/spf13/pflag"
	"k8s.io/apimachinery/pkg/runtime"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	ctrlmanager "sigs.k8s.io/controller-runtime/pkg/manager"

	sourcev1 "github.com/ferry-gitops/ferry/shared/api/source/v1"
	sourceextv1beta1 "github.com/ferry-gitops/ferry/shared/api/sourceext/v1beta1"
	"github.com/ferry-gitops/ferry/shared/cloud"
	"github.com/ferry-gitops/ferry/shared/runtime/manager"
	"github.com/ferry-gitops/ferry/shared/runtime/reconcile"
	"github.com/ferry-gitops/ferry/source-controller/internal/controller"
	"github.com/ferry-gitops/ferry/source-controller/internal/controller/artifactgenerator"
	"github.com/ferry-gitops/ferry/source-controller/internal/controller/bucket"
	"github.com/ferry-gitops/ferry/source-controller/internal/controller/gitrepository"
	"github.com/ferry-gitops/ferry/source-controller/internal/controller/helmchart"
	"github.com/ferry-gitops/ferry/source-controller/internal/controller/helmrepository"
	"github.com/ferry-gitops/ferry/source-controller/internal/controller/ocirepository"
	"github.com/ferry-gitops/ferry/source-controller/internal/storage"
)

const controllerName = "source-controller"

// flags are source-controller's own settings.
type flags struct {
	storagePath, storageAddr, storageAdvAddr string
	retentionRecords                         int
	helm                                     controller.HelmLimits
}

func main() {
	f := flags{helm: controller.DefaultHelmLimits()}
	manager.Main(manager.Program{
		Name:              controllerName,
		DefaultConcurrent: 2,
		AddToScheme:       []func(*runtime.Scheme) error{sourcev1.AddToScheme, sourceextv1beta1.AddToScheme},
		Kinds: []client.Object{&sourcev1.GitRepository{}, &sourcev1.OCIRepository{}, &sourcev1.HelmRepository{}, &sourcev1.HelmChart{}, &sourcev1.Bucket{},
			&sourceextv1beta1.ArtifactGenerator{}},
		Flags:        f.bind,
		FeatureGates: []string{cloud.ObjectLevelWorkloadIdentity},
		IgnoredFlags: map[string]manager.FlagKind{
			"artifact-retention-ttl": manager.StringFlag, "artifact-digest-algo": manager.StringFlag,
			"helm-cache-max-size": manager.StringFlag, "helm-cache-ttl": manager.StringFlag, "helm-cache-purge-interval": manager.StringFlag,
			"ssh-kex-algos": manager.StringFlag, "ssh-hostkey-algos": manager.StringFlag,
		},
		Register: f.register,
	})
}

func (f *flags) bind(fs *pflag.FlagSet) {
	fs.StringVar(&f.storagePath, "storage-path", "", "The local storage path (default: ./bin in the working directory).")
	fs.StringVar(&f.storageAddr, "storage-addr", ":9090", "The address the static file server binds to.")
	fs.StringVar(&f.storageAdvAddr, "storage-adv-addr", "", "The advertised address of the static file server (default: the hostname with the storage port).")
	fs.IntVar(&f.retentionRecords, "artifact-retention-records", storage.DefaultRetention, "The maximum number of artifacts to be kept in storage per object.")
	fs.Int64Var(&f.helm.IndexMaxSize, "helm-index-max-size", f.helm.IndexMaxSize, "The max allowed size in bytes of a Helm repository index file.")
	fs.Int64Var(&f.helm.ChartMaxSize, "helm-chart-max-size", f.helm.ChartMaxSize, "The max allowed size in bytes of a Helm chart file.")
	fs.Int64Var(&f.helm.ChartFileMaxSize, "helm-chart-file-max-size", f.helm.ChartFileMaxSize, "The max allowed size in bytes of a file in a Helm chart.")
}

// register opens the storage, serves it from the manager and sets up every kind.
func (f *flags) register(mgr ctrl.Manager, rt *reconcile.Runtime, o *manager.Options) error {
	st, err := storage.FromFlags(f.storagePath, f.storageAddr, f.storageAdvAddr, f.retentionRecords)
	if err != nil {
		return err
	}
	if err := mgr.Add(ctrlmanager.RunnableFunc(func(ctx context.Context) error { return st.Serve(ctx, f.storageAddr) })); err != nil {
		return fmt.Errorf("failed to add the artifact server: %w", err)
	}
	deps := &controller.Deps{Storage: st, Options: o, Helm: f.helm}
	for _, setup := range kinds {
		if err := setup(mgr, rt, deps); err != nil {
			return err
		}
	}
	return nil
}

// kinds sets up the reconciler of each source kind.
var kinds = []func(ctrl.Manager, *reconcile.Runtime, *controller.Deps) error{
	gitrepository.Setup, ocirepository.Setup, helmrepository.Setup, helmchart.Setup, bucket.Setup,
	artifactgenerator.Setup,
}
