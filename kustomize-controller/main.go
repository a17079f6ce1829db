// Command kustomize-controller is Ferry's kustomize-controller.
package main

import (
	"fmt"
	"os"

	"github.com/spf13/pflag"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

	helmv2 "github.com/ferry-gitops/ferry/shared/api/helm/v2"
	kustomizev1 "github.com/ferry-gitops/ferry/shared/api/kustomize/v1"
	sourcev1 "github.com/ferry-gitops/ferry/shared/api/source/v1"
	"github.com/ferry-gitops/ferry/shared/cloud"
	"github.com/ferry-gitops/ferry/shared/runtime/dependency"
	"github.com/ferry-gitops/ferry/shared/runtime/manager"
	"github.com/ferry-gitops/ferry/shared/runtime/reconcile"

	"github.com/ferry-gitops/ferry/kustomize-controller/internal/controller/kustomization"
	"github.com/ferry-gitops/ferry/kustomize-controller/internal/source"
)

// strictGate is the feature gate that makes a missing post-build variable an error.
const strictGate = "StrictPostBuildSubstitutions"

// flags are kustomize-controller's own settings.
type flags struct {
	noRemoteBases bool
	sopsAgeSecret string
}

func main() {
	var f flags
	manager.Main(f.program())
}

// program describes the kustomize-controller binary.
func (f *flags) program() manager.Program {
	return manager.Program{
		Name:              kustomization.ControllerName,
		DefaultConcurrent: 10,
		AddToScheme:       []func(*runtime.Scheme) error{kustomizev1.AddToScheme, helmv2.AddToScheme, sourcev1.AddToScheme},
		Kinds:             []client.Object{&kustomizev1.Kustomization{}},
		Flags:             f.bind,
		RemoteClusters:    true, Impersonates: true, Decryption: true,
		FeatureGates: []string{strictGate, dependency.AdditiveGate, cloud.ObjectLevelWorkloadIdentity},
		// Applying hundreds of objects a second needs more than client-go's usual budget; the
		// API server's priority and fairness still protects it.
		FlagDefaults: map[string]string{"kube-api-qps": "500", "kube-api-burst": "1000"},
		IgnoredFlags: map[string]manager.FlagKind{"http-retry": manager.StringFlag},
		Register:     f.register,
	}
}

func (f *flags) bind(fs *pflag.FlagSet) {
	fs.BoolVar(&f.noRemoteBases, "no-remote-bases", false,
		"Disallow remote bases usage in Kustomize overlays. When this flag is enabled, all resources must refer to local files included in the source artifact.")
	fs.StringVar(&f.sopsAgeSecret, "sops-age-secret", "",
		"The name of a Secret in the controller's namespace holding age keys (entries ending in .agekey) that decrypt the SOPS documents of every Kustomization, besides its own decryption Secret.")
}

// register creates the shared artifact cache and the Kustomization reconciler.
func (f *flags) register(mgr ctrl.Manager, rt *reconcile.Runtime, o *manager.Options) error {
	dir, err := os.MkdirTemp("", "kustomize-controller-artifacts-")
	if err != nil {
		return fmt.Errorf("failed to create the artifact cache directory: %w", err)
	}
	cache, err := source.New(source.Options{Dir: dir})
	if err != nil {
		return err
	}
	ageSecret, err := f.ageSecret()
	if err != nil {
		return err
	}
	return kustomization.Setup(mgr, rt, o, kustomization.Options{
		SOPSAgeSecret:                   ageSecret,
		DefaultDecryptionServiceAccount: o.DefaultDecryptionServiceAccount,
		NoRemoteBases:                   f.noRemoteBases,
		StrictSubstitution:              o.FeatureGate(strictGate),
		Cache:                           cache,
	})
}

// ageSecret is the Secret of --sops-age-secret, in the controller's namespace; empty without
// the flag.
func (f *flags) ageSecret() (types.NamespacedName, error) {
	if f.sopsAgeSecret == "" {
		return types.NamespacedName{}, nil
	}
	ns := os.Getenv(manager.RuntimeNamespaceEnv)
	if ns == "" {
		return types.NamespacedName{}, fmt.Errorf("--sops-age-secret needs the %s environment variable", manager.RuntimeNamespaceEnv)
	}
	return types.NamespacedName{Namespace: ns, Name: f.sopsAgeSecret}, nil
}
